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
    public var firstToken: Duration?
    public var generation: Duration

    public init(text: String, refused: Bool, sources: [EvalSource], firstToken: Duration?, generation: Duration) {
        self.text = text
        self.refused = refused
        self.sources = sources
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
        return EvalAnswer(
            text: answer.text, refused: answer.refused || EvalScoring.isRefusal(answer.text), sources: answer.sources.map(EvalSource.init),
            firstToken: answer.timings.timeToFirstToken, generation: answer.timings.generation)
    }
}
