import GeneratorService
import Hummingbird
import HummingbirdTesting
import LlamaRuntime
import NIOCore
import RAGService
import ServiceSupport
import Testing
import TestSupport

@Suite("client disconnects")
struct DisconnectTests {
    @Test("a streaming client that goes away stops its generation")
    func disconnectStopsGeneration() async throws {
        let generator = try TestServices.generator(parallel: 1)
        let app = Application(
            router: try buildGeneratorRouter(generator: generator, metrics: ServiceMetrics()),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { liveClient in
            let client = TestClient(host: "127.0.0.1", port: try #require(liveClient.port))
            client.connect()
            let body = #"{"messages": [{"role": "user", "content": "Conte de 1 a 500, um número por linha."}], "max_tokens": 500, "temperature": 0, "stream": true}"#
            try await client.executeAndDontWaitForResponse(.init(
                "/v1/chat/completions", method: .post, authority: "localhost", headers: [.contentType: "application/json"],
                body: ByteBuffer(string: body)))
            // Wait until the generation is running and has produced a few tokens, then hang up.
            let started = ContinuousClock.now
            while generator.statistics.generatedTokens < 5, ContinuousClock.now - started < .seconds(20) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(generator.statistics.activeSequences == 1)
            try await client.shutdown()
            let closedAt = ContinuousClock.now
            while generator.statistics.activeSequences > 0, ContinuousClock.now - closedAt < .seconds(10) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(generator.statistics.activeSequences == 0)
            let generated = generator.statistics.generatedTokens
            #expect(generated < 500, "the generation ran to its end instead of stopping")
            try await Task.sleep(for: .milliseconds(300))
            #expect(generator.statistics.generatedTokens == generated)
        }
    }

    /// Sends `body` to `path` over a real socket, waits until `generator` has written `tokens`
    /// tokens, hangs up, and expects the generation stopped within one second.
    static func hangUp(
        _ app: some ApplicationProtocol, generator: Generator, path: String, body: String, tokens: Int = 5
    ) async throws {
        try await app.test(.live) { liveClient in
            let client = TestClient(host: "127.0.0.1", port: try #require(liveClient.port))
            client.connect()
            let before = generator.statistics.generatedTokens
            try await client.executeAndDontWaitForResponse(.init(
                path, method: .post, authority: "localhost", headers: [.contentType: "application/json"], body: ByteBuffer(string: body)))
            let started = ContinuousClock.now
            while generator.statistics.generatedTokens < before + tokens, ContinuousClock.now - started < .seconds(60) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(generator.statistics.activeSequences == 1, "\(path): the generation is running when the client leaves")
            try await client.shutdown()
            let closedAt = ContinuousClock.now
            while generator.statistics.activeSequences > 0, ContinuousClock.now - closedAt < .seconds(1) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(generator.statistics.activeSequences == 0, "\(path): a generation still runs 1 s after its client left")
            let generated = generator.statistics.generatedTokens
            try await Task.sleep(for: .milliseconds(300))
            #expect(generator.statistics.generatedTokens == generated, "\(path)")
        }
    }

    @Test("a client that leaves before a non-streamed completion stops its generation", arguments: ["/v1/chat/completions", "/generate"])
    func disconnectStopsWholeAnswer(path: String) async throws {
        let generator = try TestServices.generator(parallel: 1)
        let app = Application(
            router: try buildGeneratorRouter(generator: generator, metrics: ServiceMetrics()),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let body = path == "/generate"
            ? #"{"prompt": "Conte de 1 a 500, um número por linha.", "max_tokens": 500, "temperature": 0}"#
            : #"{"messages": [{"role": "user", "content": "Conte de 1 a 500, um número por linha."}], "max_tokens": 500, "temperature": 0}"#
        try await Self.hangUp(app, generator: generator, path: path, body: body)
    }

    /// `/chat/stream` is quiet while the model writes a sentence (it is checked whole before it is
    /// sent): the stream's heartbeats notice the departure.
    @Test("a citizen who leaves before a generated answer, streamed or not, stops its generation", arguments: ["/chat", "/chat/stream"])
    func disconnectStopsChatAnswer(path: String) async throws {
        let generator = try TestServices.generator(parallel: 1)
        let knowledge = try RAGServiceTests.makeKnowledge(generator: generator)
        _ = try await knowledge.ingest()
        let app = Application(
            router: try buildRAGRouter(
                knowledge: knowledge, embeddingModelName: "e5", chatModelName: "qwen", metrics: ServiceMetrics(), generator: generator),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await Self.hangUp(
            app, generator: generator, path: path, body: #"{"pergunta": "Quanto custa a segunda via da CNH?"}"#, tokens: 2)
    }
}
