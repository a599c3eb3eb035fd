import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RAGService
import Testing
import TestSupport

/// The same question on the same index gets byte-identical answers from fresh processes.
@Suite("reproducible answers", .serialized)
struct ReproducibilityTests {
    /// `guiche serve all` on `data`, its index under `database`, on 127.0.0.1:`port`, once ready.
    static func serveAll(data: URL, database: URL, port: Int) async throws -> Process {
        let executable = TestModels.root.appendingPathComponent(".build/debug/guiche").path
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the guiche executable first (script/test does)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "all", "--host", "127.0.0.1", "--port", "\(port)"]
        process.currentDirectoryURL = TestModels.root  // models/ as a user's checkout has it
        process.environment = ProcessInfo.processInfo.environment.merging([
            "DATA_DIR": data.path, "RAG_DB_DIR": database.path, "N_THREADS": "2", "LOGS_DIR": NSTemporaryDirectory() + "guiche-repro-logs",
            "ANSWER_MODE": "gerada",  // the chat model in the loop: the hard case
        ]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<3000 {  // up to 5 minutes: startup indexes and calibrates, slow while other suites load the 2 cores
            try #require(process.isRunning, "guiche serve all exited (status \(process.terminationStatus)) before it was ready")
            if let (body, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!),
               String(decoding: body, as: UTF8.self).contains(#""ready":true"#) { return process }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw CancellationError()
    }

    static func ask(_ question: String, port: Int) async throws -> ChatResponse {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/chat")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONEncoder().encode(["pergunta": question])
        let (body, _) = try await URLSession.shared.data(for: request)
        return try JSONDecoder().decode(ChatResponse.self, from: body)
    }

    @Test("the same questions after a restart of `guiche serve all`: the same answers, byte for byte")
    func acrossRestarts() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("guiche-repro-data-\(UUID())")
        try FileManager.default.copyItem(at: TestModels.root.appendingPathComponent("data"), to: data)
        let database = FileManager.default.temporaryDirectory.appendingPathComponent("guiche-repro-db-\(UUID())")
        let questions = ["Qual o procedimento para renovação da CNH?", "Quanto custa a segunda via da CNH?", "Quem ganhou a Copa de 2002?"]
        var runs: [[ChatResponse]] = []
        for _ in 0..<2 {
            let port = TestPorts.unused()
            let process = try await Self.serveAll(data: data, database: database, port: port)
            defer { process.terminate(); process.waitUntilExit() }
            var answers: [ChatResponse] = []
            for question in questions { answers.append(try await Self.ask(question, port: port)) }
            runs.append(answers)
        }
        for (first, second) in zip(runs[0], runs[1]) {
            #expect(first.resposta == second.resposta)
            #expect(first.modo == second.modo)
            #expect(first.fontes == second.fontes)
        }
        #expect(runs[0].map(\.recusada) == [false, false, true], "\(runs[0].map(\.resposta))")
    }
}
