import EmbeddingService
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GeneratorService
import GuicheAPI
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

    @Test("the all-in-one and the three-process shapes give the same answer and sources (greedy), sparse side included")
    func sameAnswer() async throws {
        let embedder = try Embedder(model: TestModels.e5, configuration: .init(threads: 2), sparseHead: TestModels.sparseHead)
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
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "5")
            }
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""ready":false"#))
                #expect(String(buffer: response.body).contains(#""embedding":false"#))
            }
            try await client.execute(uri: "/chat", method: .post, body: ByteBuffer(string: #"{"pergunta": "Como renovar a CNH?"}"#)) { response in
                #expect(response.status == .serviceUnavailable)
                let envelope = try JSONDecoder().decode(ErrorBody.self, from: Data(String(buffer: response.body).utf8))
                #expect(envelope.error.type == "service_unavailable")
                #expect(envelope.error.message.contains("embedding service is unavailable"))
                #expect(!envelope.error.message.contains("127.0.0.1:\(port)"), "the caller is not told internal addresses: \(envelope.error.message)")
            }
        }
    }

    @Test("a generator lost mid-answer: the rag stream ends with an error event, then [DONE]")
    func upstreamLostMidStream() async throws {
        let port = TestPorts.unused()
        let generatorProcess = try await ReplicaFailoverTests.startGenerator(host: "127.0.0.1", port: port)
        defer { if generatorProcess.isRunning { kill(generatorProcess.processIdentifier, SIGKILL) } }
        let embedder = try Embedder(model: TestModels.e5, configuration: .init(threads: 2))
        let (knowledge, _) = try Self.knowledge(
            embedding: LocalEmbedding(embedder: embedder), generation: try RemoteGeneration(baseURL: "http://127.0.0.1:\(port)", logger: Logger(label: "test")))
        _ = try await knowledge.ingest()
        // The generator dies as soon as it is decoding the answer.
        let killer = Task {
            while !Task.isCancelled {
                if let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!),
                   let health = try? JSONDecoder().decode(GeneratorHealth.self, from: data), health.activeSequences > 0 {
                    kill(generatorProcess.processIdentifier, SIGKILL)
                    return
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        defer { killer.cancel() }
        let rag = Application(router: try buildRAGRouter(knowledge: knowledge, embeddingModelName: "e5", chatModelName: "qwen", metrics: ServiceMetrics()))
        try await rag.test(.router) { client in
            let body = #"{"pergunta": "Qual o procedimento para renovação da CNH?", "stream": true}"#
            try await client.execute(uri: "/chat", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                var decoder = ServerSentEventDecoder()
                let events = decoder.append(response.body.readableBytesView)
                #expect(events.first?.data.hasPrefix(#"{"fontes":"#) == true)
                #expect(events.last?.data == ServerSentEvent.doneMarker)
                let failure = try JSONDecoder().decode(ErrorBody.self, from: Data(try #require(events.dropLast().last).data.utf8))
                #expect(failure.error.type == "service_unavailable")
                #expect(failure.error.message.contains("generator service"), "\(failure)")
            }
        }
        #expect(!generatorProcess.isRunning)
    }

    @Test("a request the generator refuses is the rag service's fault: answered 502, not as the caller's 400")
    func upstreamRejection() async throws {
        let generator = try TestServices.generator(parallel: 1)
        let loopback = ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0))
        let app = Application(router: try buildGeneratorRouter(generator: generator, metrics: ServiceMetrics()), configuration: loopback)
        try await app.test(.live) { client in
            let remote = try GeneratorServiceClient(baseURL: "http://127.0.0.1:\(try #require(client.port))", logger: Logger(label: "test"))
            let refused = ChatCompletionRequest(messages: [], sampling: SamplingFields(maxTokens: 8))
            let error = await #expect(throws: UpstreamRejected.self) { try await remote.streamChatCompletion(refused) }
            #expect(error?.status == 400)
            #expect(error?.reason.contains("'messages' is empty") == true, "the generator's own message, not its JSON")
            let answered = APIError(try #require(error))
            #expect(answered.status == .badGateway)
            #expect(answered.message.contains("generator service refused"))
        }
        generator.shutdown()
    }
}
