import Foundation
import Testing
import TestSupport

/// Every setting the code reads is in the README's configuration table and in some `--help`.
@Suite("configuration documentation")
struct ConfigurationDocsTests {
    /// Environment variables the code reads: swift-configuration keys ("refusal.threshold" is
    /// REFUSAL_THRESHOLD), read directly or strictly (`integer`, `number`), and direct
    /// `environment["…"]` reads.
    static func variablesRead() throws -> Set<String> {
        var names = Set<String>()
        let sources = TestModels.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let url as URL in files where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            for match in text.matches(of: /(?:forKey: |\.integer\(|\.number\()"([a-z.]+)"/) {
                names.insert(match.1.uppercased().replacingOccurrences(of: ".", with: "_"))
            }
            for match in text.matches(of: /environment\["([A-Z_]+)"\]/) { names.insert(String(match.1)) }
        }
        return names.subtracting(["PATH"])  // the system's search path (finding pdftotext), not a setting
    }

    static func help() throws -> String {
        let executable = TestModels.root.appendingPathComponent(".build/debug/guiche").path
        var text = ""
        for command in [["serve", "all"], ["serve", "rag"], ["serve", "embedding"], ["serve", "generator"], ["ingest"], ["ask"], ["eval"]] {
            let process = Process()
            let pipe = Pipe()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = command + ["--help"]
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            text += String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
        }
        return text
    }

    @Test("every variable read is in the README's table and in a --help")
    func documented() throws {
        let variables = try Self.variablesRead()
        #expect(variables.count > 25 && variables.contains("REFUSAL_THRESHOLD") && variables.contains("GUICHE_LLAMA_LOG"))
        let readme = try String(contentsOf: TestModels.root.appendingPathComponent("README.md"), encoding: .utf8)
        let table = readme.split(separator: "\n").filter { $0.hasPrefix("| `") }.joined(separator: "\n")
        let help = try Self.help()
        for name in variables.sorted() {
            #expect(table.contains("`\(name)`"), "\(name) is read but not in the README's configuration table")
            #expect(help.contains(name), "\(name) is read but no --help names it")
        }
    }

    @Test("a bad value of a setting stops the command with a message naming it", arguments: [
        (["ingest"], "ANSWER_MODE", "livre"), (["ingest"], "REFUSAL_THRESHOLD", "2"), (["ingest"], "INGEST_MAX_REMOVED_SHARE", "1.5"),
        (["serve", "embedding", "--port", "18999"], "LOG_FORMAT", "xml"),
        // Values that do not parse used to fall back to the default silently (PORT=abc served on 8000).
        (["serve", "embedding"], "PORT", "abc"), (["ingest"], "N_THREADS", "zero"), (["ingest"], "REFUSAL_THRESHOLD", "abc"),
        (["ingest"], "CHUNK_SIZE", "300 tokens"), (["serve", "generator", "--port", "18999"], "GENERATOR_PARALLEL", "4x"),
        (["serve", "all", "--port", "18999"], "API_KEYS", "root:abc"), (["serve", "rag", "--port", "18999"], "API_KEYS_FILE", "/nonexistent/keys"),
        (["serve", "rag", "--port", "18999"], "ADMIN_OPEN", "maybe"), (["serve", "rag", "--port", "18999"], "RATE_LIMIT_PER_MINUTE", "-1"),
        (["serve", "embedding", "--port", "18999"], "SHUTDOWN_GRACE_SECONDS", "soon"),
        (["ingest"], "DATABASE_URL", "mysql://guiche@db/guiche"), (["ingest"], "DATABASE_URL", "postgres://guiche@db/guiche?sslmode=sometimes"),
        (["serve", "all", "--port", "18999"], "INDEX_REFRESH_SECONDS", "0"),
        (["serve", "generator", "--port", "18999"], "GENERATOR_FLASH_ATTENTION", "sometimes"),
    ])
    func badSetting(command: [String], variable: String, value: String) throws {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = TestModels.root.appendingPathComponent(".build/debug/guiche")
        process.arguments = command
        process.environment = ProcessInfo.processInfo.environment.merging([variable: value, "LOGS_DIR": NSTemporaryDirectory() + "guiche-bad-setting"]) { $1 }
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(output.contains("\(variable) must be"), "\(output)")
    }
}
