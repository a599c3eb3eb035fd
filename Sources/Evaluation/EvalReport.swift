import Foundation
import RAGCore

/// How one question went.
public struct QuestionResult: Sendable, Codable {
    public var id: String
    public var question: String
    public var kind: String?
    public var outOfScope: Bool
    /// Rank of the first source at the expected location (nil: not among those retrieved).
    public var rank: Int?
    /// The retrieved sources' documents and locations, best first.
    public var sources: [String]
    public var retrievalMilliseconds: Double
    public var answer: String?
    /// How the answer was made ("gerada", "extrativa", "recusa"), when the target says.
    public var mode: String?
    public var refused: Bool?
    public var strength: EvidenceStrength?
    /// Key facts the answer lacks (nil: no facts to check, or no answer).
    public var missingFacts: [String]?
    /// Key facts none of the answer's sources holds: retrieval, not the answer, lost them.
    public var factsMissingFromSources: [String]?
    public var unsupportedFigures: [String]?
    public var firstTokenMilliseconds: Double?
    public var generationMilliseconds: Double?

    enum CodingKeys: String, CodingKey {
        case id, kind = "tipo", question = "pergunta", outOfScope = "fora_do_escopo", rank = "posicao", sources = "fontes"
        case retrievalMilliseconds = "busca_ms", answer = "resposta", mode = "modo", strength = "evidencia", refused = "recusada", missingFacts = "fatos_faltando", factsMissingFromSources = "fatos_fora_das_fontes"
        case unsupportedFigures = "numeros_sem_fonte", firstTokenMilliseconds = "primeiro_token_ms", generationMilliseconds = "geracao_ms"
    }
}

/// A question set's totals.
public struct EvalReport: Sendable, Codable {
    public var questions: [QuestionResult]
    public var retrievalOnly: Bool
    public var summary: Summary

    public struct Latency: Sendable, Codable, Equatable {
        public var p50: Double
        public var p95: Double
    }

    public struct Summary: Sendable, Codable {
        public var questions: Int
        /// Questions with an expected location (in scope).
        public var ranked: Int
        public var hit1: Double?
        public var hit3: Double?
        public var hit5: Double?
        public var mrr: Double?
        /// hit@5 per question kind ("tipo").
        public var hit5ByKind: [String: Double]
        /// Share of in-scope answers holding all their facts.
        public var factAccuracy: Double?
        public var refusalPrecision: Double?
        public var refusalRecall: Double?
        /// Share of in-scope questions refused.
        public var refusedInScope: Double?
        /// Answers by how they were made ("gerada", "extrativa", "recusa"), when the target says.
        public var modes: [String: Int]?
        /// Share of answers (refusals aside) with a figure no source supports.
        public var unsupportedShare: Double?
        public var retrieval: Latency?
        public var firstToken: Latency?
        public var generation: Latency?

        enum CodingKeys: String, CodingKey {
            case questions = "perguntas", ranked = "com_local_esperado", hit1 = "hit1", hit3 = "hit3", hit5 = "hit5", mrr
            case hit5ByKind = "hit5_por_tipo", factAccuracy = "fatos", refusalPrecision = "recusa_precisao"
            case refusalRecall = "recusa_revocacao", refusedInScope = "recusadas_no_escopo", modes = "modos"
            case unsupportedShare = "numeros_sem_fonte", retrieval = "busca_ms"
            case firstToken = "primeiro_token_ms", generation = "geracao_ms"
        }
    }

    enum CodingKeys: String, CodingKey {
        case questions = "perguntas", retrievalOnly = "apenas_busca", summary = "resumo"
    }

    public init(questions: [QuestionResult], retrievalOnly: Bool) {
        self.questions = questions
        self.retrievalOnly = retrievalOnly
        self.summary = Self.summarize(questions, retrievalOnly: retrievalOnly)
    }

    static func summarize(_ results: [QuestionResult], retrievalOnly: Bool) -> Summary {
        let ranked = results.filter { !$0.outOfScope }
        func share(_ items: [QuestionResult], _ predicate: (QuestionResult) -> Bool) -> Double? {
            items.isEmpty ? nil : Double(items.filter(predicate).count) / Double(items.count)
        }
        func hit(_ k: Int) -> (QuestionResult) -> Bool { { ($0.rank ?? .max) <= k } }
        var byKind: [String: Double] = [:]
        for kind in Set(ranked.compactMap(\.kind)) {
            byKind[kind] = share(ranked.filter { $0.kind == kind }, hit(5))
        }
        var summary = Summary(
            questions: results.count, ranked: ranked.count, hit1: share(ranked, hit(1)), hit3: share(ranked, hit(3)),
            hit5: share(ranked, hit(5)),
            mrr: ranked.isEmpty ? nil : ranked.map { $0.rank.map { 1 / Double($0) } ?? 0 }.reduce(0, +) / Double(ranked.count),
            hit5ByKind: byKind, retrieval: latency(results.map(\.retrievalMilliseconds)))
        guard !retrievalOnly else { return summary }
        summary.factAccuracy = share(ranked.filter { $0.missingFacts != nil }) { $0.missingFacts?.isEmpty == true }
        let refused = results.filter { $0.refused == true }
        summary.refusalPrecision = share(refused) { $0.outOfScope }
        summary.refusalRecall = share(results.filter(\.outOfScope)) { $0.refused == true }
        summary.refusedInScope = share(ranked) { $0.refused == true }
        let modes = Dictionary(grouping: results.compactMap(\.mode)) { $0 }.mapValues(\.count)
        summary.modes = modes.isEmpty ? nil : modes
        summary.unsupportedShare = share(results.filter { $0.refused == false }) { !($0.unsupportedFigures ?? []).isEmpty }
        summary.firstToken = latency(results.compactMap(\.firstTokenMilliseconds))
        summary.generation = latency(results.compactMap(\.generationMilliseconds))
        return summary
    }

    /// Nearest-rank percentiles.
    static func latency(_ values: [Double]) -> Latency? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))] }
        return Latency(p50: percentile(0.5), p95: percentile(0.95))
    }
}
