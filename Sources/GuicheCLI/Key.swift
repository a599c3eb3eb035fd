import ArgumentParser
import RAGService

/// `guiche key`: a new API key for the rag service, and the entry that admits it.
struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make an API key for the rag service.",
        discussion: """
            Prints a new random key (give it to the client) and its entry (add it to API_KEYS or to \
            the API_KEYS_FILE): the service keeps only the key's SHA-256 digest. 'consulta' keys ask \
            questions (/chat, /chat/stream, /search, /v1/chat/completions); 'admin' keys also sync \
            the index, list documents and read /metrics. Clients send 'Authorization: Bearer <key>' \
            or 'X-API-Key: <key>'.
            """)

    @Option(help: "consulta or admin (default consulta).")
    var scope: String = "consulta"

    func run() throws {
        guard let scope = APIKeys.Scope(rawValue: scope) else { throw ValidationError("--scope must be consulta or admin, got '\(scope)'") }
        let (key, entry) = APIKeys.generate(scope: scope)
        print("key:   \(key)")
        print("entry: \(entry)")
    }
}
