import Foundation
import RAGCore

/// A source as the evaluation sees it, whether it came from this process or over HTTP.
public struct EvalSource: Sendable, Codable, Equatable {
    public var document: String
    public var title: String
    public var location: String
    public var text: String

    public init(document: String, title: String, location: String, text: String) {
        self.document = document
        self.title = title
        self.location = location
        self.text = text
    }

    public init(_ source: RetrievedSource) {
        self.init(document: source.documentPath, title: source.documentTitle, location: source.location, text: source.text)
    }
}

/// An answer as the evaluation sees it, with where its time went.
public struct EvalAnswer: Sendable {
    public var text: String
    /// The system declined to answer (its fixed refusal, with or without the model).
    public var refused: Bool
    public var sources: [EvalSource]
    /// The units the answer rests on ("citation: text"); when empty, the sources stand for them.
    public var evidence: [String]
    /// "gerada", "extrativa" or "recusa", when the target says.
    public var mode: String?
    /// The evidence's strength, when the target is in this process (for calibration reports).
    public var strength: EvidenceStrength?
    public var firstToken: Duration?
    public var generation: Duration

    public init(
        text: String, refused: Bool, sources: [EvalSource], evidence: [String] = [], mode: String? = nil, strength: EvidenceStrength? = nil,
        firstToken: Duration?, generation: Duration
    ) {
        self.text = text
        self.refused = refused
        self.sources = sources
        self.evidence = evidence
        self.mode = mode
        self.strength = strength
        self.firstToken = firstToken
        self.generation = generation
    }
}


/// What is evaluated: the chatbot in this process or a running rag service.
public protocol EvalTarget: Sendable {
    /// The `topK` best sources for `question`, best first, and how long finding them took.
    func retrieve(_ question: String, topK: Int) async throws -> (sources: [EvalSource], time: Duration)
    /// The chatbot's whole answer.
    func answer(_ question: String) async throws -> EvalAnswer
}

/// The chatbot of this process.
public struct KnowledgeBaseTarget: EvalTarget {
    public let knowledge: KnowledgeBase

    public init(knowledge: KnowledgeBase) {
        self.knowledge = knowledge
    }

    public func retrieve(_ question: String, topK: Int) async throws -> (sources: [EvalSource], time: Duration) {
        let start = ContinuousClock.now
        let sources = try await knowledge.retriever.retrieve(question, topK: topK)
        return (sources.map(EvalSource.init), ContinuousClock.now - start)
    }

    public func answer(_ question: String) async throws -> EvalAnswer {
        let answer = try await knowledge.answerer.answer(question: question)
        let evidence = answer.evidence
        return EvalAnswer(
            text: answer.text, refused: answer.refused, sources: answer.sources.map(EvalSource.init),
            evidence: evidence.units.map(\.cited), mode: answer.mode.rawValue, strength: evidence.strength,
            firstToken: answer.timings.timeToFirstToken, generation: answer.timings.generation)
    }
}
