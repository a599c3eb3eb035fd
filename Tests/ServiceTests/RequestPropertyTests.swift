import Foundation
import GeneratorService
import GuicheAPI
import Hummingbird
import HummingbirdTesting
import LlamaRuntime
import PropertyBased
import ServiceSupport
import Testing
import TestSupport

/// Property-based: for any values of the request types' fields — integers over the whole 64-bit
/// range and beyond, fractions, exponents past Float's range, values of the wrong JSON type —
/// every service answers 200 or a 4xx with a JSON error, and never traps (a trap would end the
/// test process). Failing inputs are shrunk to the smallest that fails.
@Suite("request properties")
struct RequestPropertyTests {
    /// A JSON value where a number is expected.
    static let number = Gen.oneOf(
        Gen.int64().map { "\($0)" }.eraseToAnySequence(),
        Gen.int(in: -3...70).map { "\($0)" }.eraseToAnySequence(),
        Gen.double(in: -4...4).map { "\($0)" }.eraseToAnySequence(),
        Gen.element(of: [
            "1e400", "-1e400", "1e-400", "-0", "0.0", "18446744073709551616", "3000000000", "2147483648", "-2147483649",
            "4294967296", "\"7\"", "null", "true", "[]", "{}",
        ]).map { $0 ?? "" }.eraseToAnySequence())

    /// Some of `fields` with a random value each, as a JSON object.
    static func object(_ fields: [String], values: [String], present: [Bool]) -> String {
        "{" + zip(fields, zip(values, present)).filter(\.1.1).map { "\"\($0.0)\": \($0.1.0)" }.joined(separator: ", ") + "}"
    }

    static func check(_ response: TestResponse, _ body: String) {
        #expect(response.status == .ok || response.status.kind == .clientError, "\(response.status) for \(body)")
        if response.status != .ok {
            #expect((try? response.json(ErrorBody.self)) != nil, "a JSON error for \(body)")
        }
    }

    @Test("the generator's sampling fields: any values give 200 or a 4xx, never a trap")
    func generatorSampling() async throws {
        // A short context: a valid request that asks for the most tokens still ends quickly.
        let generator = try Generator(model: TestModels.chat, configuration: .init(
            parallelSequences: 1, contextPerSequence: 96, batchTokens: 96, threads: 2, maxQueuedRequests: 4))
        defer { generator.shutdown() }
        let fields = ["temperature", "top_p", "top_k", "min_p", "repeat_penalty", "repeat_last_n", "seed", "n", "max_tokens",
                      "presence_penalty", "frequency_penalty"]
        let app = Application(router: try buildGeneratorRouter(generator: generator, metrics: ServiceMetrics()))
        try await app.test(.router) { client in
            await propertyCheck(
                count: 150, input: Self.number.array(of: fields.count), Gen.bool(0.4).array(of: fields.count),
                Gen.element(of: ["1", "2", "0", "-1", "9223372036854775807", "\"1\""]).map { $0 ?? "" }
            ) { values, present, limit in
                let sampling = Self.object(fields, values: values, present: present).dropFirst().dropLast()
                let body = #"{"messages": [{"role": "user", "content": "oi"}], "max_completion_tokens": \#(limit)\#(sampling.isEmpty ? "" : ", ")\#(sampling)}"#
                try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: body)) { Self.check($0, body) }
            }
        }
    }

    @Test("the embedding service's fields: any values give 200 or a 4xx, never a trap")
    func embeddingFields() async throws {
        let inputs = Gen.oneOf(
            Gen.element(of: [#""Qual o prazo?""#, #"["a", "b"]"#, "[]", #"[""]"#, "[1, 2, 3]", "[[1, 2], [3]]", "[[]]", "null", "7",
                             #"["\u0000"]"#, #"[[-1]]"#, "[[9999999]]"]).map { $0 ?? "" }.eraseToAnySequence(),
            Gen.letterOrNumber.string(of: 0...40).map { "\"\($0)\"" }.eraseToAnySequence())
        try await TestServices.embeddingApplication().test(.router) { client in
            await propertyCheck(count: 150, input: inputs, Self.number, Gen.bool(0.5), Gen.element(of: [#""float""#, #""base64""#, #""x""#, "1"]).map { $0 ?? "" }) {
                input, dimensions, withDimensions, format in
                let body = #"{"input": \#(input), "model": "e5", "encoding_format": \#(format)\#(withDimensions ? ", \"dimensions\": \(dimensions)" : "")}"#
                try await client.execute(uri: "/v1/embeddings", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: body)) { Self.check($0, body) }
            }
        }
    }

    @Test("the rag service's questions: any text and top_k give 200 or a 4xx, never a trap")
    func ragQuestions() async throws {
        _ = try await RAGServiceTests.knowledge.ingest()
        let question = Gen.oneOf(
            Gen.letterOrNumber.string(of: 0...60).eraseToAnySequence(),
            Gen.element(of: ["", " ", "\\u0000", "\\n\\t", "ç~^´`", "\\ud83d\\ude00 CNH?", String(repeating: "renovação ", count: 250),
                             "<|im_start|>system", "\\\"", "Art. 147 §2º inciso I"]).map { $0 ?? "" }.eraseToAnySequence())
        try await RAGServiceTests.application().test(.router) { client in
            await propertyCheck(count: 120, input: question, Self.number, Gen.bool(0.6)) { text, topK, withTopK in
                let body = #"{"pergunta": "\#(text)"\#(withTopK ? ", \"top_k\": \(topK)" : "")}"#
                try await client.execute(uri: "/search", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: body)) { Self.check($0, body) }
            }
        }
    }
}
