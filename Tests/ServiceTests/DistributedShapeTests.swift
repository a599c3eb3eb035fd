import EmbeddingService
import Foundation
import GeneratorService
import Hummingbird
import HummingbirdTesting
import LlamaRuntime
import Logging
import RAGCore
import RAGService
import ServiceClients
import ServiceSupport
import Testing
import TestSupport

/// The three-process shape (rag over HTTP to the embedding and generator services) against the
/// all-in-one shape.
@Suite("distributed rag service", .serialized)
struct DistributedShapeTests {
    static func knowledge(embedding: any TextEmbedding, generation: any TextGeneration) throws -> (KnowledgeBase, URL) {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("guiche-shape-\(UUID())")
        try FileManager.default.copyItem(at: TestModels.root.appendingPathComponent("data"), to: data)
        let store = try SQLiteIndexStore(path: nil)
        let indexer = Indexer(dataDirectory: data, store: store, embedding: embedding, chunkSize: 300, chunkOverlap: 50,
                              batchSize: 16, logger: Logger(label: "test"))
        return (KnowledgeBase(store: store, embedding: embedding, generation: generation, indexer: indexer,
                              settings: .init(extractiveOnly: false, sampling: .greedy(maxTokens: 64))), data)
    }

    @Test("the all-in-one and the three-process shapes give the same answer and sources (greedy)")
    func sameAnswer() async throws {
        let embedder = try Embedder(model: TestModels.e5, configuration: .init(threads: 2))
        let generator = try Generator(model: TestModels.chat, configuration: .init(parallelSequences: 1, contextPerSequence: 2048, threads: 2, reusePromptPrefix: false))
        let question = "Qual o procedimento para renovação da CNH?"

        let (local, _) = try Self.knowledge(embedding: LocalEmbedding(embedder: embedder), generation: LocalGeneration(generator: generator))
        _ = try await local.ingest()
        let expected = try await local.answerer.answer(question: question)

        let loopback = ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0))
        let embeddingApp = Application(router: try buildEmbeddingRouter(embedder: embedder, settings: .init(), metrics: ServiceMetrics()), configuration: loopback)
        let generatorApp = Application(router: try buildGeneratorRouter(generator: generator, metrics: ServiceMetrics()), configuration: loopback)
        try await embeddingApp.test(.live) { embeddingClient in
            try await generatorApp.test(.live) { generatorClient in
                let logger = Logger(label: "test")
                let remoteEmbedding = try await RemoteEmbedding.connect(
                    baseURL: "http://127.0.0.1:\(try #require(embeddingClient.port))", tokenizer: TestModels.e5, logger: logger)
                #expect(remoteEmbedding.fingerprint == LocalEmbedding(embedder: embedder).fingerprint)
                let (remote, _) = try Self.knowledge(
                    embedding: remoteEmbedding,
                    generation: try RemoteGeneration(baseURL: "http://127.0.0.1:\(try #require(generatorClient.port))", logger: logger))
                let report = try await remote.ingest()
                #expect(report.added.count == 6)
                let answer = try await remote.answerer.answer(question: question)
                #expect(answer.sources.map(\.documentPath) == expected.sources.map(\.documentPath))
                #expect(answer.text == expected.text)
                #expect(!answer.text.isEmpty)
            }
        }
    }

    @Test("a model service that is down gives 503 with a clear message")
    func serviceDown() async throws {
        // An embedding service that answers /health, then goes away.
        let embedder = try Embedder(model: TestModels.e5, configuration: .init(threads: 1))
        let loopback = ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0))
        let embeddingApp = Application(router: try buildEmbeddingRouter(embedder: embedder, settings: .init(), metrics: ServiceMetrics()), configuration: loopback)
        let (knowledge, port, remoteEmbedding) = try await embeddingApp.test(.live) { client in
            let port = try #require(client.port)
            let remoteEmbedding = try await RemoteEmbedding.connect(baseURL: "http://127.0.0.1:\(port)", tokenizer: TestModels.e5, logger: Logger(label: "test"))
            let (knowledge, _) = try Self.knowledge(
                embedding: remoteEmbedding, generation: try RemoteGeneration(baseURL: "http://127.0.0.1:9", logger: Logger(label: "test")))
            _ = try await knowledge.ingest()
            #expect(await remoteEmbedding.isReachable())
            return (knowledge, port, remoteEmbedding)
        }
        // The embedding service has stopped now.
        let rag = Application(router: try buildRAGRouter(
            knowledge: knowledge, embeddingModelName: "e5", chatModelName: "qwen", metrics: ServiceMetrics(),
            dependencies: { ["embedding": await remoteEmbedding.isReachable()] }))
        try await rag.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""ready":false"#))
                #expect(String(buffer: response.body).contains(#""embedding":false"#))
            }
            try await client.execute(uri: "/chat", method: .post, body: ByteBuffer(string: #"{"pergunta": "Como renovar a CNH?"}"#)) { response in
                #expect(response.status == .serviceUnavailable)
                let envelope = try JSONDecoder().decode(ErrorEnvelope.self, from: Data(String(buffer: response.body).utf8))
                #expect(envelope.error.type == "service_unavailable")
                #expect(envelope.error.message.contains("embedding service at http://127.0.0.1:\(port)"))
            }
        }
    }
}
