import EmbeddingService
import Foundation
import GuicheAPI
import Hummingbird
import HummingbirdTesting
import LlamaRuntime
import RAGCore
import ServiceSupport
import Testing
import TestSupport

@Suite("embedding-service over HTTP")
struct EmbeddingServiceTests {
    @Test("POST /embed returns the embedder's vectors, in order")
    func embed() async throws {
        let texts = ["Qual o procedimento para renovação da CNH?", "Exame toxicológico"]
        let direct = try await TestModels.embedder.embed(texts)
        try await TestServices.embeddingApplication().test(.router) { client in
            let body = try JSONEncoder().encode(["texts": texts])
            try await client.execute(uri: "/embed", method: .post, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .ok)
                let decoded = try response.json(EmbedResponse.self)
                #expect(decoded.embeddings.count == 2)
                for (a, b) in zip(decoded.embeddings, direct) { #expect(cosine(a, b) > 0.9999) }
            }
        }
    }

    @Test("POST /embed with sparse: true adds the sparse head's vectors, as this process computes them; /health tells the head")
    func sparse() async throws {
        let embedder = try Embedder(model: TestModels.e5, configuration: .init(threads: 2), sparseHead: TestModels.sparseHead)
        let question = "Qual o procedimento para renovação da CNH?"
        let direct = try await LocalEmbedding(embedder: embedder).vectors([question], kind: .query)[0]
        let application = Application(router: try buildEmbeddingRouter(embedder: embedder, settings: .init(), metrics: ServiceMetrics()))
        try await application.test(.router) { client in
            let body = #"{"texts": ["\#(question)"], "tipo": "consulta", "sparse": true}"#
            try await client.execute(uri: "/embed", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let decoded = try response.json(EmbedResponse.self)
                let sparse = try #require(decoded.sparseEmbeddings?.first)
                #expect(SparseVector(indices: sparse.indices, values: sparse.values) == direct.sparse, "the same pass: bit for bit")
                #expect(decoded.embeddings == [direct.dense])
            }
            try await client.execute(uri: "/embed", method: .post, body: ByteBuffer(string: #"{"texts": ["a"]}"#)) { response in
                let decoded = try response.json(EmbedResponse.self)
                #expect(decoded.sparseEmbeddings == nil, "only when asked")
            }
            try await client.execute(uri: "/health", method: .get) { response in
                let health = try response.json(EmbeddingHealth.self)
                #expect(health.sparseFeatures == 16_384)
                #expect(health.modelFingerprint == embedder.fingerprint && health.modelFingerprint.contains("sparse:"))
            }
        }
    }

    @Test("POST /v1/embeddings speaks OpenAI's format, float and base64")
    func openAI() async throws {
        try await TestServices.embeddingApplication().test(.router) { client in
            try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: #"{"input": "Olá, mundo", "model": "minilm"}"#)) { response in
                #expect(response.status == .ok)
                let decoded = try response.json(OpenAIEmbeddingResponse.self)
                #expect(decoded.object == "list")
                #expect(decoded.data.map(\.index) == [0])
                #expect(decoded.model == "minilm")
                #expect(decoded.usage.promptTokens == (try TestModels.embedder.tokenCount("Olá, mundo")))
            }
            let float = try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: #"{"input": ["a", "b"]}"#)) { response in
                let object = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as! [String: Any]
                let data = object["data"] as! [[String: Any]]
                return (data[1]["embedding"] as! [NSNumber]).map(\.floatValue)
            }
            let base64 = try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: #"{"input": ["a", "b"], "encoding_format": "base64"}"#)) { response in
                let object = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as! [String: Any]
                let data = object["data"] as! [[String: Any]]
                let bytes = Data(base64Encoded: data[1]["embedding"] as! String)!
                return bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            }
            #expect(float.count == 384)
            #expect(base64 == float)
        }
    }

    @Test("query and document prefixes are applied per request, for models that need them")
    func prefixes() async throws {
        let settings = EmbeddingServiceSettings(maxTextsPerRequest: 8, prefixes: .init(query: "query: ", document: "passage: "))
        let text = "renovação da CNH"
        let expected = try await TestModels.embedder.embed(["query: " + text, "passage: " + text])
        try await TestServices.embeddingApplication(settings: settings).test(.router) { client in
            for (tipo, index) in [(#", "tipo": "consulta""#, 0), (#", "tipo": "documento""#, 1), ("", 1)] {
                try await client.execute(uri: "/embed", method: .post, body: ByteBuffer(string: #"{"texts": ["\#(text)"]\#(tipo)}"#)) { response in
                    let vector = try response.json(EmbedResponse.self).embeddings[0]
                    #expect(cosine(vector, expected[index]) > 0.9999, "\(tipo)")
                }
            }
            try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: #"{"input": "\#(text)", "input_type": "query"}"#)) { response in
                let object = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as! [String: Any]
                let vector = ((object["data"] as! [[String: Any]])[0]["embedding"] as! [NSNumber]).map(\.floatValue)
                #expect(cosine(vector, expected[0]) > 0.9999)
            }
            try await expectBadInput(
                BadInput(name: "bad tipo", path: "/embed", body: #"{"texts": ["a"], "tipo": "pergunta"}"#, status: .badRequest, type: "invalid_request_error", messageContains: "consulta"),
                on: client)
        }
    }

    @Test("GET /health describes the model")
    func health() async throws {
        try await TestServices.embeddingApplication().test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains(#""dimensions":384"#))
                #expect(response.text.contains(#""ready":true"#))
            }
        }
    }

    @Test("a malformed chunked body is the client's error: 400 with a JSON body, not a 500")
    func malformedChunkedBody() async throws {
        let app = Application(
            router: try buildEmbeddingRouter(embedder: TestModels.embedder, settings: .init(), metrics: ServiceMetrics()),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let answer = try rawHTTP(port: port, "POST /embed HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\n{\"texts\": [\"a\"]}\r\n0\r\n\r\n", timeout: 60)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(answer.contains(#""type":"invalid_request_error""#), "\(answer)")
        }
    }

    @Test("a connection that sends nothing is closed after the idle timeout")
    func idleConnectionClosed() async throws {
        let app = Application(
            router: try buildEmbeddingRouter(embedder: TestModels.embedder, settings: .init(), metrics: ServiceMetrics()),
            server: serviceHTTPServer(idleTimeout: .seconds(1)),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let start = ContinuousClock.now
            // Half a request head, then silence (a slow client holding a connection).
            let answer = try rawHTTP(port: port, "POST /embed HTTP/1.1\r\nHost: local", timeout: 10)
            #expect(answer.isEmpty)
            #expect(ContinuousClock.now - start < .seconds(8), "closed by the server, not by the test's own 10 s wait")
        }
    }

    @Test("GET /metrics and /openapi.yaml are served")
    func metricsAndOpenAPI() async throws {
        try await TestServices.embeddingApplication().test(.router) { client in
            try await client.execute(uri: "/embed", method: .post, body: ByteBuffer(string: #"{"texts": ["a"]}"#)) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.text.contains(#"http_requests_total{route="/embed",method="POST",status="200"} 1"#))
                #expect(response.text.contains("embedding_batch_texts_count"))
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("/v1/embeddings"))
            }
        }
    }

    static let longText = String(repeating: "renovação da carteira nacional de habilitação ", count: 150)

    @Test("bad input gets a clear 4xx JSON error", arguments: [
        BadInput(name: "invalid JSON", path: "/embed", body: "{texts: [", status: .badRequest, type: "invalid_request_error", messageContains: "invalid JSON"),
        BadInput(name: "empty body", path: "/embed", body: nil, status: .badRequest, type: "invalid_request_error", messageContains: "empty"),
        BadInput(name: "missing field", path: "/embed", body: #"{"text": ["a"]}"#, status: .badRequest, type: "invalid_request_error", messageContains: "missing field 'texts'"),
        BadInput(name: "wrong type", path: "/embed", body: #"{"texts": "a"}"#, status: .badRequest, type: "invalid_request_error", messageContains: "expected an array"),
        BadInput(name: "wrong element type", path: "/embed", body: #"{"texts": ["a", 2]}"#, status: .badRequest, type: "invalid_request_error", messageContains: "texts[1]"),
        BadInput(name: "empty list", path: "/embed", body: #"{"texts": []}"#, status: .badRequest, type: "invalid_request_error", messageContains: "empty"),
        BadInput(name: "empty string", path: "/embed", body: #"{"texts": ["a", ""]}"#, status: .badRequest, type: "invalid_request_error", messageContains: "texts[1] is empty"),
        BadInput(name: "too many texts", path: "/embed", body: #"{"texts": ["1","2","3","4","5","6","7","8","9"]}"#, status: .badRequest, type: "invalid_request_error", messageContains: "at most 8"),
        BadInput(name: "text too long", path: "/embed", body: #"{"texts": ["\#(longText)"]}"#, status: .badRequest, type: "invalid_request_error", messageContains: "at most 512"),
        BadInput(name: "body over the size limit", path: "/embed", body: #"{"texts": ["\#(String(repeating: "a", count: 3 << 20))"]}"#, status: .contentTooLarge, type: "request_too_large", messageContains: "larger"),
        BadInput(name: "OpenAI: token arrays", path: "/v1/embeddings", body: #"{"input": [[1, 2]]}"#, status: .badRequest, type: "invalid_request_error", messageContains: "string or an array of strings"),
        BadInput(name: "OpenAI: bad encoding", path: "/v1/embeddings", body: #"{"input": "a", "encoding_format": "hex"}"#, status: .badRequest, type: "invalid_request_error", messageContains: "encoding_format"),
        BadInput(name: "OpenAI: dimensions", path: "/v1/embeddings", body: #"{"input": "a", "dimensions": 128}"#, status: .badRequest, type: "invalid_request_error", messageContains: "384"),
        BadInput(name: "OpenAI: empty input", path: "/v1/embeddings", body: #"{"input": []}"#, status: .badRequest, type: "invalid_request_error", messageContains: "empty"),
        BadInput(name: "sparse without a sparse head", path: "/embed", body: #"{"texts": ["a"], "sparse": true}"#, status: .badRequest, type: "invalid_request_error", messageContains: "no sparse head"),
        BadInput(name: "unknown route", path: "/nope", body: "{}", status: .notFound, type: "not_found_error", messageContains: "Not Found"),
    ])
    func badInput(_ input: BadInput) async throws {
        try await TestServices.embeddingApplication().test(.router) { client in
            try await expectBadInput(input, on: client)
        }
    }

    @Test("concurrent requests are merged into shared forward passes and stay correct")
    func microBatching() async throws {
        let texts = (0..<16).map { "Pergunta número \($0) sobre a renovação da CNH" }
        let expected = try await TestModels.embedder.embed(texts)
        try await TestServices.embeddingApplication().test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, text) in texts.enumerated() {
                    group.addTask {
                        let body = try JSONEncoder().encode(["texts": [text]])
                        try await client.execute(uri: "/embed", method: .post, body: ByteBuffer(bytes: body)) { response in
                            let vector = try response.json(EmbedResponse.self).embeddings[0]
                            #expect(cosine(vector, expected[index]) > 0.9999)
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                // 16 requests; fewer embedder calls than requests means some were merged.
                let line = response.text.split(separator: "\n").first { $0.hasPrefix("embedding_batch_texts_count") }
                let calls = Int(line?.split(separator: " ").last ?? "") ?? 0
                #expect(calls >= 1 && calls < 16, "embedder calls: \(calls)")
            }
        }
    }
}
