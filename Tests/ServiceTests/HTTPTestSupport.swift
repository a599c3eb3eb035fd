import EmbeddingService
import Foundation
import GuicheAPI
import GeneratorService
import Hummingbird
import HummingbirdTesting
import LlamaRuntime
import ServiceSupport
import Testing
import TestSupport

/// Decodes `{"error": {"message", "type", "param"}}`.
/// A row of a bad-input table: what is sent and what must come back.
struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    var method: HTTPRequest.Method = .post
    var path: String
    var body: String?
    var status: HTTPResponse.Status
    var type: String
    var messageContains: String

    var testDescription: String { name }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func json<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}

/// Sends `input` and checks the status, the OpenAI error shape, its type and message.
func expectBadInput(_ input: BadInput, on client: some TestClientProtocol) async throws {
    try await client.execute(uri: input.path, method: input.method, body: input.body.map { ByteBuffer(string: $0) }) { response in
        #expect(response.status == input.status, "\(input.name): \(response.text)")
        let envelope = try response.json(ErrorBody.self)
        #expect(envelope.error.type == input.type, "\(input.name)")
        #expect(envelope.error.message.contains(input.messageContains), "\(input.name): \(envelope.error.message)")
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
    }
}

enum TestServices {
    static func embeddingApplication(settings: EmbeddingServiceSettings = .init(maxTextsPerRequest: 8)) throws -> some ApplicationProtocol {
        Application(router: try buildEmbeddingRouter(embedder: TestModels.embedder, settings: settings, metrics: ServiceMetrics()))
    }

    static func generator(parallel: Int = 2, queue: Int = 16) throws -> Generator {
        try Generator(model: TestModels.chat, configuration: .init(
            parallelSequences: parallel, contextPerSequence: 1024, batchTokens: 256, threads: 2, maxQueuedRequests: queue))
    }

    static func generatorApplication(_ generator: Generator) throws -> some ApplicationProtocol {
        Application(router: try buildGeneratorRouter(generator: generator, metrics: ServiceMetrics()))
    }
}
