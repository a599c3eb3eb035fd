import EmbeddingService
import Foundation
import GeneratorService
import GuicheAPI
import Hummingbird
import HummingbirdTesting
import LlamaRuntime
import RAGService
import ServiceSupport
import Testing
import TestSupport

/// Generated malformed requests over every route of the three services, on the real models: each
/// field of a valid request replaced by every kind of wrong value, fields dropped, unknown fields
/// added, and bodies that are not JSON objects at all. None may crash a service or get a 5xx
/// other than a deliberate 503; every error is the JSON error body.
@Suite("hostile input", .serialized)
struct HostileInputTests {
    /// Values that are wrong somewhere: types, signs, sizes, 32-bit overflows, emptiness.
    static let values: [String] = [
        "null", "true", "false", "0", "-1", "1.5", "3000000000", "-3000000000", "1e308", "-1e308", #""""#, #""texto""#,
        "\"" + String(repeating: "á", count: 3000) + "\"", "[]", "[null]", "[1]", "{}", #"{"a": 1}"#, #""\u0000<|im_end|>""#,
    ]

    /// Bodies that are not a request object.
    static let garbage: [String] = [
        "", "{", "}", "[]", "null", "42", #""texto""#, "{\"a\":", String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000),
        "1e999999", "{\"pergunta\": \"\\ud800\"}", "\u{FEFF}{}", String(repeating: "x", count: 4096),
    ]

    /// A valid request of a route, field by field (each value is JSON text).
    struct Route {
        var path: String
        var fields: [(String, String)]

        var body: String { Self.object(fields) }

        static func object(_ fields: [(String, String)]) -> String {
            "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        }

        /// Each field replaced by each value, each field dropped, an unknown field added, garbage.
        func mutations() -> [String] {
            var bodies: [String] = []
            for index in fields.indices {
                for value in HostileInputTests.values {
                    var mutated = fields
                    mutated[index].1 = value
                    bodies.append(Self.object(mutated))
                }
                var dropped = fields
                dropped.remove(at: index)
                bodies.append(Self.object(dropped))
            }
            bodies.append(Self.object(fields + [("campo_desconhecido", "[1, 2]")]))
            return bodies + HostileInputTests.garbage
        }
    }

    /// Sends every mutation of every route; returns how many requests were sent.
    static func attack(_ routes: [Route], gets: [String], on client: some TestClientProtocol) async throws -> Int {
        var sent = 0
        for route in routes {
            for body in route.mutations() {
                try await client.execute(uri: route.path, method: .post, body: ByteBuffer(string: body)) { response in
                    check(response, "POST \(route.path) \(body.prefix(120))")
                }
                sent += 1
            }
        }
        for path in gets {
            for query in ["", "?a=1", "?%ZZ", "?" + String(repeating: "b", count: 4000)] {
                try await client.execute(uri: path + query, method: .get) { response in check(response, "GET \(path)\(query.prefix(20))") }
                sent += 1
            }
            try await client.execute(uri: path, method: .delete) { response in check(response, "DELETE \(path)") }
            sent += 1
        }
        return sent
    }

    static func check(_ response: TestResponse, _ label: String) {
        let status = response.status.code
        #expect(status < 500 || status == 503, "\(label) → \(status): \(response.text.prefix(300))")
        if status >= 400 {
            #expect((try? response.json(ErrorBody.self)) != nil, "\(label) → \(status) without the JSON error body: \(response.text.prefix(300))")
        }
    }

    static let sampling: [(String, String)] = [
        ("max_tokens", "2"), ("temperature", "0"), ("top_p", "0.9"), ("top_k", "40"), ("min_p", "0.05"),
        ("repeat_penalty", "1.1"), ("repeat_last_n", "64"), ("stop", #"["FIM"]"#), ("seed", "1"),
    ]

    @Test("the embedding service")
    func embeddingService() async throws {
        let routes = [
            Route(path: "/embed", fields: [("texts", #"["Qual o prazo?"]"#), ("tipo", #""consulta""#)]),
            Route(path: "/v1/embeddings", fields: [
                ("input", #""Qual o prazo?""#), ("model", #""e5""#), ("encoding_format", #""float""#), ("input_type", #""query""#),
                ("dimensions", "384"), ("user", #""u""#),
            ]),
        ]
        let sent = try await TestServices.embeddingApplication().test(.router) { client in
            try await Self.attack(routes, gets: ["/health", "/health/live", "/health/ready", "/metrics", "/openapi.yaml"], on: client)
        }
        #expect(sent > 150)
    }

    @Test("the generator service")
    func generatorService() async throws {
        // A short context: a mutation that asks for the most tokens still ends quickly.
        let generator = try Generator(model: TestModels.chat, configuration: .init(
            parallelSequences: 1, contextPerSequence: 96, batchTokens: 96, threads: 2, maxQueuedRequests: 4))
        defer { generator.shutdown() }
        let routes = [
            Route(path: "/generate", fields: [("prompt", #""oi""#), ("raw", "false"), ("system", #""s""#)] + Self.sampling),
            Route(path: "/v1/chat/completions", fields: [
                ("messages", #"[{"role": "user", "content": "oi"}]"#), ("model", #""m""#), ("stream", "false"), ("n", "1"),
                ("stream_options", #"{"include_usage": true}"#),
            ] + Self.sampling),
        ]
        let sent = try await Application(router: try buildGeneratorRouter(generator: generator, metrics: ServiceMetrics())).test(.router) { client in
            try await Self.attack(routes, gets: ["/health", "/health/live", "/health/ready", "/metrics"], on: client)
        }
        #expect(sent > 500)
    }

    @Test("the rag service")
    func ragService() async throws {
        _ = try await RAGServiceTests.knowledge.ingest()
        let question = #""Como renovar a CNH?""#
        let routes = [
            Route(path: "/chat", fields: [("pergunta", question), ("top_k", "3"), ("stream", "false")]),
            Route(path: "/chat/stream", fields: [("pergunta", question), ("top_k", "3")]),
            Route(path: "/search", fields: [("pergunta", question), ("top_k", "3")]),
            Route(path: "/v1/chat/completions", fields: [("messages", #"[{"role": "user", "content": "Como renovar a CNH?"}]"#), ("stream", "false")]),
            Route(path: "/ingest", fields: [("forcar", "false")]),
        ]
        let sent = try await RAGServiceTests.application().test(.router) { client in
            try await Self.attack(routes, gets: ["/health", "/health/live", "/health/ready", "/documents", "/metrics"], on: client)
        }
        #expect(sent > 200)
    }
}
