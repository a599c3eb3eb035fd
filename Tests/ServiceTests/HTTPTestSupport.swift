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

#if canImport(Glibc)
import Glibc
#endif

/// Sends `request` as raw bytes to 127.0.0.1:`port` and returns what the server answers before it
/// closes the connection or goes quiet for `timeout` — for requests no HTTP client would send.
func rawHTTP(port: Int, _ request: String, timeout: Int = 5) throws -> String {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.EIO) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    var wait = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    let bytes = Array(request.utf8)
    _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = recv(descriptor, &buffer, buffer.count, 0)
        if count <= 0 { break }
        received += buffer[..<count]
    }
    return String(decoding: received, as: UTF8.self)
}
