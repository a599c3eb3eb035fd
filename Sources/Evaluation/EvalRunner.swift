import Foundation
import LlamaRuntime

/// Runs a question set against a target and scores it.
public struct EvalRunner: Sendable {
    public let target: any EvalTarget
    /// Sources ranked per question (hit@1/3/5 need 5).
    public let depth: Int
    /// Retrieval only: no answers, so no facts, refusals or generation times.
    public let retrievalOnly: Bool

    public init(target: any EvalTarget, depth: Int = 5, retrievalOnly: Bool) {
        self.target = target
        self.depth = depth
        self.retrievalOnly = retrievalOnly
    }

    /// Every question, in order; `progress` hears each result as it comes.
    public func run(_ questions: [EvalQuestion], progress: (@Sendable (QuestionResult) -> Void)? = nil) async throws -> EvalReport {
        var results: [QuestionResult] = []
        for question in questions {
            let result = try await evaluate(question)
            progress?(result)
            results.append(result)
        }
        return EvalReport(questions: results, retrievalOnly: retrievalOnly)
    }

    func evaluate(_ question: EvalQuestion) async throws -> QuestionResult {
        let (sources, retrievalTime) = try await target.retrieve(question.question, topK: depth)
        var result = QuestionResult(
            id: question.id, question: question.question, kind: question.kind, outOfScope: question.outOfScope,
            rank: question.expected.flatMap { EvalScoring.rank(of: $0, in: sources) },
            sources: sources.map { [$0.document, $0.location].filter { !$0.isEmpty }.joined(separator: " › ") },
            retrievalMilliseconds: retrievalTime.inMilliseconds)
        guard !retrievalOnly else { return result }
        let answer = try await target.answer(question.question)
        result.answer = answer.text
        result.mode = answer.mode
        result.strength = answer.strength
        result.refused = answer.refused
        if !question.outOfScope && !question.facts.isEmpty {
            result.missingFacts = EvalScoring.missingFacts(question.facts, in: answer.text)
            result.factsMissingFromSources = EvalScoring.missingFacts(question.facts, in: answer.sources.map(\.text).joined(separator: "\n"))
        }
        result.unsupportedFigures = answer.refused ? [] : EvalScoring.unsupportedFigures(
            in: answer.text, evidence: answer.evidence.isEmpty ? answer.sources.map { "\($0.location) \($0.text)" } : answer.evidence,
            question: question.question)
        result.firstTokenMilliseconds = answer.firstToken?.inMilliseconds
        result.generationMilliseconds = answer.generation.inMilliseconds
        return result
    }
}
