import Foundation
import LlamaRuntime
import Testing
import TestSupport

/// The Portuguese retrieval check that picks the default embedding model: 30 regulatory passages
/// and 30 questions paraphrased away from their wording (Tests/Fixtures/retrieval-pt.json).
@Suite("Portuguese retrieval check")
struct RetrievalCheckTests {
    struct CheckSet: Decodable {
        struct Passage: Decodable { var id: String; var text: String }
        struct Question: Decodable { var passage: String; var text: String }
        var passages: [Passage]
        var questions: [Question]
    }

    struct Scores: CustomStringConvertible {
        var recallAt1: Double
        var recallAt3: Double
        var meanReciprocalRank: Double
        var description: String {
            String(format: "recall@1 %.2f, recall@3 %.2f, MRR %.3f", recallAt1, recallAt3, meanReciprocalRank)
        }
    }

    static func evaluate(_ model: LlamaModel, on set: CheckSet) async throws -> Scores {
        let embedder = try Embedder(model: model, configuration: .init(threads: 2))
        let prefixes = model.embeddingPrefixes
        let passages = try await embedder.embed(set.passages.map { prefixes.document + $0.text })
        let questions = try await embedder.embed(set.questions.map { prefixes.query + $0.text })
        var hits1 = 0, hits3 = 0, reciprocal = 0.0
        for (question, vector) in zip(set.questions, questions) {
            let ranked = passages.indices.sorted { cosine(vector, passages[$0]) > cosine(vector, passages[$1]) }
            let rank = ranked.firstIndex { set.passages[$0].id == question.passage }! + 1
            if rank == 1 { hits1 += 1 }
            if rank <= 3 { hits3 += 1 }
            reciprocal += 1 / Double(rank)
        }
        let n = Double(set.questions.count)
        return Scores(recallAt1: Double(hits1) / n, recallAt3: Double(hits3) / n, meanReciprocalRank: reciprocal / n)
    }

    @Test("the default embedding model retrieves Portuguese paraphrases better than the alternative")
    func defaultModelWins() async throws {
        let set = try JSONDecoder().decode(CheckSet.self, from: TestModels.fixture("retrieval-pt.json"))
        let minilm = try await Self.evaluate(TestModels.embedding, on: set)
        let e5 = try await Self.evaluate(TestModels.e5, on: set)
        print("retrieval check (30 pt questions): all-MiniLM-L6-v2 \(minilm); multilingual-e5-small-pt \(e5)")
        let defaultPath = try ModelLocator.resolve(DefaultModels.embedding, in: TestModels.root.appendingPathComponent("models/embeddings").path)
        let (chosen, other) = defaultPath == TestModels.e5Path ? (e5, minilm) : (minilm, e5)
        #expect(chosen.meanReciprocalRank >= other.meanReciprocalRank)
        #expect(chosen.recallAt1 >= other.recallAt1)
    }
}
