import EmbeddingService
import Foundation
import GeneratorService
import Hummingbird
import HummingbirdTesting
import ServiceSupport
import Testing
import TestSupport

/// Both services on real sockets, driven by the official `openai` Python package
/// (scripts/openai_client_check.py, installed into .venv by script/bootstrap).
@Suite("OpenAI's own client against the services")
struct OpenAIClientTests {
    @Test("the openai package embeds, chats and streams")
    func openAIPackage() async throws {
        let python = TestModels.root.appendingPathComponent(".venv/bin/python").path
        let script = TestModels.root.appendingPathComponent("scripts/openai_client_check.py").path
        try #require(FileManager.default.isExecutableFile(atPath: python), "run script/bootstrap first")
        let local = ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0))
        let embedding = Application(
            router: try buildEmbeddingRouter(embedder: TestModels.embedder, settings: .init(), metrics: ServiceMetrics()),
            configuration: local)
        let generator = Application(router: try buildGeneratorRouter(generator: try TestServices.generator(), metrics: ServiceMetrics()), configuration: local)
        try await embedding.test(.live) { embeddingClient in
            try await generator.test(.live) { generatorClient in
                let embeddingPort = try #require(embeddingClient.port)
                let generatorPort = try #require(generatorClient.port)
                let (status, output) = try await Self.run(python, [
                    script, "http://127.0.0.1:\(embeddingPort)/v1", "http://127.0.0.1:\(generatorPort)/v1",
                ])
                #expect(status == 0, "\(output)")
                #expect(output.contains("ok: chat stream: same text as the whole answer"))
            }
        }
    }

    /// Runs a process without blocking a cooperative thread; returns its status and output.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (status, output)
    }
}
