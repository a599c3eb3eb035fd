import Foundation

/// Why a generation ended.
public enum FinishReason: String, Sendable, Codable {
    /// The model ended its turn, or a stop string was reached.
    case stop
    /// `maxTokens` was reached, or the sequence's context is full.
    case length
    /// The consumer stopped listening.
    case cancelled
}

/// Token counts of one generation.
public struct GenerationUsage: Sendable, Equatable, Codable {
    /// Tokens of the prompt.
    public var promptTokens: Int
    /// Prompt tokens found in the KV cache (a reused prefix) and not computed again.
    public var cachedPromptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int

    public init(promptTokens: Int, cachedPromptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.completionTokens = completionTokens
    }
}

/// How a generation went.
public struct GenerationSummary: Sendable {
    public var finishReason: FinishReason
    public var usage: GenerationUsage
    /// From submission to the first generated token (includes queueing and prompt processing).
    public var timeToFirstToken: Duration?
    /// From submission to the end.
    public var totalTime: Duration

    public init(finishReason: FinishReason, usage: GenerationUsage, timeToFirstToken: Duration?, totalTime: Duration) {
        self.finishReason = finishReason
        self.usage = usage
        self.timeToFirstToken = timeToFirstToken
        self.totalTime = totalTime
    }
}

/// What a generation stream delivers: text pieces (never splitting a UTF-8 character), then one
/// `.finished` summary.
public enum GenerationEvent: Sendable {
    case text(String)
    case finished(GenerationSummary)
}

/// A whole generation collected.
public struct Completion: Sendable {
    public var text: String
    public var summary: GenerationSummary

    /// Reads `stream` to its end.
    public init(collecting stream: AsyncThrowingStream<GenerationEvent, Error>) async throws {
        var text = ""
        for try await event in stream {
            switch event {
            case .text(let piece): text += piece
            case .finished(let summary):
                self.text = text
                self.summary = summary
                return
            }
        }
        throw LlamaError.shutDown  // a stream only ends without a summary when it was cut short
    }
}
