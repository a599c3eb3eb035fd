import AsyncHTTPClient
import GeneratorService
import Hummingbird
import HummingbirdTesting
import LlamaRuntime
import Logging
import RAGCore
import ServiceClients
import ServiceSupport
import Synchronization
import Testing

@Suite("connections to the model services")
struct ModelServicePoolTests {
    /// Twenty questions at once through the rag service's client: the generator decodes one at a
    /// time and queues the rest; none waits for a pooled connection (AsyncHTTPClient's default of
    /// 8 per host made the later ones fail with `getConnectionFromPoolTimeout`).
    @Test("20 concurrent generations through one client all complete, queued by the generator, not the pool")
    func manyQuestionsAtOnce() async throws {
        let generator = try TestServices.generator(parallel: 1, queue: 64)
        let app = Application(
            router: try buildGeneratorRouter(generator: generator, metrics: ServiceMetrics()),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let http = makeModelServicesHTTPClient(questions: 64)
        try await app.test(.live) { client in
            let warnings = Mutex<[String]>([])
            var logger = Logger(label: "test") { label in
                LineLogHandler(label: label, format: .text) { line in warnings.withLock { $0.append(line) } }
            }
            logger.logLevel = .warning
            let generation = try RemoteGeneration(baseURL: "http://127.0.0.1:\(try #require(client.port))", client: http, logger: logger)
            let completed = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        var pieces = 0
                        let stream = try await generation.stream(
                            messages: [.user("Escreva a palavra número \(index) por extenso.")], parameters: .greedy(maxTokens: 24))
                        for try await event in stream { if case .text = event { pieces += 1 } }
                        return pieces > 0 ? 1 : 0
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(completed == 20)
            #expect(warnings.withLock { $0 }.isEmpty, "no call failed and was retried: \(warnings.withLock { $0.prefix(2) })")
        }
        try await http.shutdown()
    }
}
