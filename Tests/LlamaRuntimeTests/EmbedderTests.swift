import Foundation
import LlamaRuntime
import Testing
import TestSupport

@Suite("Embedder on all-MiniLM-L6-v2")
struct EmbedderTests {
    let embedder = TestModels.embedder

    @Test("vectors have the model's dimension and unit length")
    func shapeAndNorm() async throws {
        let vectors = try await embedder.embed(["Renovação da CNH", "Exame de direção"])
        #expect(vectors.count == 2)
        #expect(embedder.dimensions == 384)
        for vector in vectors {
            #expect(vector.count == 384)
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-4)
        }
    }

    /// all-MiniLM-L6-v2 is an English model: in English a paraphrase wins by a wide margin, in
    /// Portuguese only narrowly (issue: a Portuguese-capable embedding model by default).
    @Test("paraphrases score higher than unrelated sentences")
    func paraphrasesAreCloser() async throws {
        let pairs: [(String, String, String)] = [
            ("How do I renew my driver's license?", "What is the procedure to get a new driving licence after it expires?", "The cat sat on the warm windowsill."),
            ("The written exam covers traffic laws.", "The theory test asks questions about road rules.", "Bananas are rich in potassium."),
        ]
        for (anchor, paraphrase, unrelated) in pairs {
            let v = try await embedder.embed([anchor, paraphrase, unrelated])
            #expect(cosine(v[0], v[1]) > cosine(v[0], v[2]) + 0.1, "\(anchor)")
        }
        let portuguese = try await embedder.embed([
            "Qual o procedimento para renovação da CNH?", "Como renovar a carteira nacional de habilitação?",
            "A receita de bolo leva farinha e ovos.",
        ])
        #expect(cosine(portuguese[0], portuguese[1]) > cosine(portuguese[0], portuguese[2]))
    }

    @Test("a text embedded alone and inside a batch of 32 gives the same vector")
    func batchInvariance() async throws {
        let target = "Art. 147. O candidato à habilitação deverá submeter-se a exames realizados pelo órgão executivo de trânsito."
        let alone = try await embedder.embed([target])[0]
        var batch = (0..<31).map { "Frase de enchimento número \($0), sobre assuntos variados de trânsito e \(String(repeating: "palavras ", count: $0 % 7))." }
        batch.insert(target, at: 17)
        let together = try await embedder.embed(batch)
        #expect(together.count == 32)
        #expect(cosine(alone, together[17]) >= 0.9999)
    }

    @Test("with repacked weights (the services' setting) a text alone and in a batch of 32 still match")
    func batchInvarianceRepacked() async throws {
        let model = try LlamaModel(path: TestModels.e5Path, parameters: .init(repackWeights: true))
        let embedder = try Embedder(model: model, configuration: .init(threads: 2, maxSequencesPerPass: 32))
        let target = "passage: Art. 147. O candidato à habilitação deverá submeter-se a exames realizados pelo órgão executivo de trânsito."
        let alone = try await embedder.embed([target])[0]
        var batch = (0..<31).map { "passage: Frase de enchimento número \($0) sobre trânsito \(String(repeating: "e regras ", count: $0 % 5))." }
        batch.insert(target, at: 9)
        let together = try await embedder.embed(batch)
        #expect(cosine(alone, together[9]) >= 0.9999)
        let unpacked = try await Embedder(model: TestModels.e5, configuration: .init(threads: 2)).embed([target])[0]
        #expect(cosine(alone, unpacked) >= 0.999)
    }

    @Test("many texts are split over several forward passes, in order")
    func moreTextsThanOnePass() async throws {
        let texts = (0..<70).map { "Documento \($0): regras do DETRAN para o processo \($0 * 7)." }
        let all = try await embedder.embed(texts)
        let single = try await embedder.embed([texts[65]])[0]
        #expect(all.count == 70)
        #expect(cosine(all[65], single) >= 0.9999)
    }

    @Test("an input longer than the model's context is an error, not a silent truncation")
    func tooLong() async throws {
        let long = String(repeating: "renovação da carteira nacional de habilitação ", count: 200)
        await #expect(throws: LlamaError.self) { try await embedder.embed(["curto", long]) }
        do {
            _ = try await embedder.embed(["curto", long])
        } catch {
            guard case .inputTooLong(let index, let tokens, let limit) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(index == 1)
            #expect(tokens > limit)
            #expect(limit == 512)
        }
    }

    @Test("empty text is an error naming its index; an empty list gives no vectors")
    func emptyInputs() async throws {
        await #expect(throws: LlamaError.emptyInput(index: 2)) { try await embedder.embed(["a", "b", ""]) }
        #expect(try await embedder.embed([]).isEmpty)
    }

    @Test("concurrent callers get the same vectors as sequential ones")
    func concurrentCallers() async throws {
        let texts = (0..<8).map { "Pergunta \($0) sobre a CNH e o DETRAN" }
        let sequential = try await embedder.embed(texts)
        let concurrent = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (index, text) in texts.enumerated() {
                group.addTask { (index, try await embedder.embed([text])[0]) }
            }
            var results = [[Float]](repeating: [], count: texts.count)
            for try await (index, vector) in group { results[index] = vector }
            return results
        }
        for (a, b) in zip(sequential, concurrent) { #expect(cosine(a, b) >= 0.9999) }
    }

    @Test("after shutdown, calls fail instead of hanging")
    func shutdown() async throws {
        let embedder = try Embedder(model: TestModels.embedding, configuration: .init(threads: 1))
        _ = try await embedder.embed(["antes"])
        embedder.shutdown()
        await #expect(throws: LlamaError.shutDown) { try await embedder.embed(["depois"]) }
    }
}
