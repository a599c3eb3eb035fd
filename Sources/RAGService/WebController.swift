import Foundation
import Hummingbird
import RAGCore
import ServiceSupport

/// The citizens' web chat: `GET /` (the page), `GET /assets/{file}` (its script and style, built
/// into the binary — nothing from outside the server), and `GET /documentos/{path}`: an indexed
/// document rendered with an anchor per passage (`#trecho-<id>`), the passages named in
/// `?trechos=` highlighted.
struct WebController<Context: RequestContext>: Sendable {
    let knowledge: KnowledgeBase

    /// The page's files: name → (content type, bytes), read once.
    static var assets: [String: (type: String, bytes: ByteBuffer)] {
        var assets: [String: (type: String, bytes: ByteBuffer)] = [:]
        for (name, type) in [("index.html", "text/html; charset=utf-8"), ("admin.html", "text/html; charset=utf-8"),
                             ("chat.js", "text/javascript; charset=utf-8"), ("admin.js", "text/javascript; charset=utf-8"),
                             ("chat.css", "text/css; charset=utf-8")] {
            if let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Web"), let data = try? Data(contentsOf: url) {
                assets[name] = (type, ByteBuffer(bytes: data))
            }
        }
        return assets
    }

    let files = Self.assets

    func addRoutes(to router: Router<Context>) {
        router.get("/", use: page)
        router.get("/assets/{file}", use: asset)
        router.get("/documentos/**", use: document)
    }

    @Sendable func page(request: Request, context: Context) async throws -> Response {
        try serve("index.html")
    }

    @Sendable func asset(request: Request, context: Context) async throws -> Response {
        let name = try context.parameters.require("file")
        guard !name.hasSuffix(".html") else { throw HTTPError(.notFound) }
        return try serve(name)
    }

    func serve(_ name: String) throws -> Response {
        guard let file = files[name] else { throw HTTPError(.notFound) }
        return Response(
            status: .ok, headers: [.contentType: file.type, .cacheControl: "no-cache", .contentSecurityPolicy: DocumentPage.contentSecurityPolicy],
            body: .init(byteBuffer: file.bytes))
    }

    @Sendable func document(request: Request, context: Context) async throws -> Response {
        let path = context.parameters.getCatchAll().joined(separator: "/")
        guard let (document, chunks) = try await knowledge.document(at: path) else {
            throw APIError(status: .notFound, type: "not_found_error", message: "no indexed document '\(path.prefix(200))'")
        }
        let highlighted = Set((request.uri.queryParameters.get("trechos") ?? "").split(separator: ",").compactMap { Int64($0) })
        let html = DocumentPage.render(document: document, chunks: chunks, highlighted: highlighted)
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: DocumentPage.contentSecurityPolicy],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// The HTML of a document's view: its title, then each passage as a section with its location
/// and text (the overlap a chunk repeats from the one before left out), highlighted passages
/// marked for the eye and for screen readers.
enum DocumentPage {
    /// Everything from this server only; no inline script.
    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    static func render(document: StoredDocument, chunks: [IndexedChunk], highlighted: Set<Int64>) -> String {
        var sections = ""
        var previous: String?
        for chunk in chunks {
            var text = chunk.text
            if let previous { text = String(Retriever.join(previous, chunk.text).dropFirst(previous.count)).trimmingCharacters(in: .newlines) }
            previous = chunk.text
            let marked = highlighted.contains(chunk.id)
            sections += """
                <section id="trecho-\(chunk.id)" class="trecho\(marked ? " destaque" : "")"\(marked ? " aria-label=\"Trecho citado\"" : "")>
                \(chunk.location.isEmpty ? "" : "<h2>\(escape(chunk.location))</h2>\n")                <p>\(escape(text))</p>
                </section>

                """
        }
        return """
            <!doctype html>
            <html lang="pt-BR">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(document.title)) — Guichê</title>
            <link rel="stylesheet" href="/assets/chat.css">
            </head>
            <body class="documento">
            <header><a href="/">← Voltar ao Guichê</a></header>
            <main>
            <h1>\(escape(document.title))</h1>
            <p class="arquivo">Arquivo: \(escape(document.path)) · \(chunks.count) trechos</p>
            \(sections)</main>
            </body>
            </html>

            """
    }

    /// `text` safe inside HTML text and attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
