import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ServiceSupport
import Testing
import TestSupport

@Suite("service plumbing")
struct ServiceSupportTests {
    @Test("the log file rotates past its size limit and keeps a bounded number of files")
    func logRotation() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guiche-logs-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("app/logs/service.log").path
        let file = try RotatingLogFile(path: path, maxBytes: 1000, keep: 2)
        for index in 0..<100 {
            file.write("line \(index) " + String(repeating: "x", count: 40))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent).sorted()
        #expect(files == ["service.log", "service.log.1", "service.log.2"])
        let current = try String(contentsOfFile: path, encoding: .utf8)
        #expect(current.utf8.count <= 1000)
        #expect(current.hasSuffix("line 99 " + String(repeating: "x", count: 40) + "\n"))
        let previous = try String(contentsOfFile: path + ".1", encoding: .utf8)
        #expect(previous.contains("line"))
    }

    /// The executable, as users start it: a missing or corrupt model stops it with a message
    /// naming the path.
    @Test("a missing or corrupt model file stops the service with a clear message", arguments: [
        ["serve", "generator", "--chat-model", "/nonexistent/model.gguf"],
        ["serve", "embedding", "--embedding-model", "no-such-model", "--models-directory", "/nonexistent"],
        ["serve", "generator", "--chat-model", "CORRUPT"],
    ])
    func startupFailure(arguments: [String]) async throws {
        let executable = TestModels.root.appendingPathComponent(".build/debug/guiche").path
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the guiche executable first (script/test does)")
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID()).gguf")
        try Data("GGUF but not really".utf8).write(to: corrupt)
        defer { try? FileManager.default.removeItem(at: corrupt) }
        let arguments = arguments.map { $0 == "CORRUPT" ? corrupt.path : $0 }
        let (status, output) = try await OpenAIClientTests.run(executable, arguments + ["--port", "18999"])
        #expect(status != 0)
        let named = arguments.last { $0.hasPrefix("/") || $0 == "no-such-model" }!
        #expect(output.contains(named), "\(output)")
        #expect(output.contains("Error:"), "\(output)")
    }

    /// Configuration as a user gives it: a `.env` file in the working directory, overridden by the
    /// environment, overridden by options; SIGTERM shuts the service down gracefully.
    @Test("guiche serve reads .env and the environment, and stops cleanly on SIGTERM")
    func environmentFileAndGracefulShutdown() async throws {
        let executable = TestModels.root.appendingPathComponent(".build/debug/guiche").path
        try #require(FileManager.default.isExecutableFile(atPath: executable))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guiche-env-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = TestPorts.unused()
        try """
            # read by swift-configuration
            PORT=\(port)
            EMBEDDING_MODEL_NAME=\(TestModels.embeddingPath)
            EMBEDDING_MAX_TEXTS=3
            N_THREADS=9999
            """.write(to: folder.appendingPathComponent(".env"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "embedding", "--host", "127.0.0.1"]
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(["N_THREADS": "2"]) { $1 }  // environment beats .env
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var health: String?
        for _ in 0..<1200 where health == nil && process.isRunning {  // up to 2 minutes on loaded cores
            try await Task.sleep(for: .milliseconds(100))
            if let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!) {
                health = String(decoding: data, as: UTF8.self)
            }
        }
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(health?.contains(#""max_texts_per_request":3"#) == true, "\(log)")
        #expect(process.terminationStatus == 0, "\(log)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("app/logs/embedding-service.log").path))
    }

    /// SIGTERM while a long answer is being generated: the service waits `SHUTDOWN_GRACE_SECONDS`
    /// for it, then cancels it and exits — well before Docker's SIGKILL.
    @Test("SIGTERM cancels a generation still running after SHUTDOWN_GRACE_SECONDS and exits")
    func boundedShutdown() async throws {
        let executable = TestModels.root.appendingPathComponent(".build/debug/guiche").path
        let port = TestPorts.unused()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "generator", "--host", "127.0.0.1", "--port", "\(port)", "--parallel", "1"]
        process.environment = ProcessInfo.processInfo.environment.merging([
            "AGENT_MODEL_NAME": TestModels.chatPath, "N_THREADS": "2", "SHUTDOWN_GRACE_SECONDS": "1",
            "LOGS_DIR": FileManager.default.temporaryDirectory.appendingPathComponent("guiche-grace-\(UUID())").path,
        ]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        defer { if process.isRunning { process.interrupt(); kill(process.processIdentifier, SIGKILL) } }
        let base = "http://127.0.0.1:\(port)"
        var ready = false
        for _ in 0..<1200 where !ready {
            try await Task.sleep(for: .milliseconds(100))
            ready = (try? await URLSession.shared.data(from: URL(string: "\(base)/health/ready")!))?.1 != nil
        }
        try #require(ready)
        // A raw prompt the model continues without end: 1,500 tokens take far longer than the grace.
        var request = URLRequest(url: URL(string: "\(base)/generate")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let numbers = (1...40).map(String.init).joined(separator: ", ")
        request.httpBody = Data(#"{"prompt": "\#(numbers), ", "raw": true, "max_tokens": 1500, "temperature": 0}"#.utf8)
        let answer = Task { try? await URLSession.shared.data(for: request) }
        var active = false
        for _ in 0..<600 where !active {
            try await Task.sleep(for: .milliseconds(100))
            if let (data, _) = try? await URLSession.shared.data(from: URL(string: "\(base)/health")!) {
                active = String(decoding: data, as: UTF8.self).contains(#""active_sequences":1"#)
            }
        }
        try #require(active, "the generation started")
        let stopping = ContinuousClock.now
        process.terminate()  // SIGTERM
        while process.isRunning, ContinuousClock.now - stopping < .seconds(30) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let took = ContinuousClock.now - stopping
        let log = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        #expect(!process.isRunning, "still running 30 s after SIGTERM")
        // The bound leaves room for a loaded machine (the whole test suite runs beside it on 2 cores,
        // where this process takes 16 s to start): exiting is what counts, far before the answer's end.
        #expect(took < .seconds(15), "exited \(took) after SIGTERM (grace 1 s); a 1,500-token answer takes far longer\n\(log)")
        _ = await answer.value
    }
}
