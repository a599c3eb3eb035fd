import Foundation
import Hummingbird
import LlamaRuntime

// OpenAI's chat-completion response shapes, shared by the generator service and the rag
// service's OpenAI-compatible endpoint.

/// Token counts of a completion (OpenAI's `usage`, plus the prompt tokens found in the cache).
public struct Usage: Encodable, Sendable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int
    public var cachedPromptTokens: Int

    public init(_ usage: GenerationUsage) {
        promptTokens = usage.promptTokens
        completionTokens = usage.completionTokens
        totalTokens = usage.promptTokens + usage.completionTokens
        cachedPromptTokens = usage.cachedPromptTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case cachedPromptTokens = "cached_prompt_tokens"
    }
}

/// A whole chat completion (`"object": "chat.completion"`).
public struct ChatCompletionResponse: ResponseEncodable, Sendable {
    public struct Choice: Encodable, Sendable {
        public struct Message: Encodable, Sendable {
            public var role = "assistant"
            public var content: String
        }
        public var index = 0
        public var message: Message
        public var finishReason: String

        enum CodingKeys: String, CodingKey {
            case index, message
            case finishReason = "finish_reason"
        }
    }

    public var id: String
    public var object = "chat.completion"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    /// Omitted when the answer did not go through a model (a refusal) or counts are unknown.
    public var usage: Usage?

    /// One assistant message as the only choice.
    public init(id: String, created: Int, model: String, content: String, finishReason: String, usage: Usage?) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = [Choice(message: .init(content: content), finishReason: finishReason)]
        self.usage = usage
    }
}

/// One Server-Sent Event of a streamed chat completion.
public struct ChatCompletionChunk: Encodable, Sendable {
    public struct Choice: Encodable, Sendable {
        public struct Delta: Encodable, Sendable {
            public var role: String?
            public var content: String?

            public init(role: String? = nil, content: String? = nil) {
                self.role = role
                self.content = content
            }
        }
        public var index = 0
        public var delta: Delta
        public var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case index, delta
            case finishReason = "finish_reason"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(delta, forKey: .delta)
            try container.encode(finishReason, forKey: .finishReason)  // explicit null while streaming
        }
    }

    public var id: String
    public var object = "chat.completion.chunk"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage?
    /// On the usage chunk: the engine's own account of this generation (as llama.cpp's server
    /// does), so that a caller can tell model time from transport.
    public var timings: Timings?

    public struct Timings: Encodable, Sendable {
        public var firstTokenMs: Double?
        public var totalMs: Double

        public init(_ summary: GenerationSummary) {
            firstTokenMs = summary.timeToFirstToken?.inMilliseconds
            totalMs = summary.totalTime.inMilliseconds
        }

        enum CodingKeys: String, CodingKey {
            case firstTokenMs = "first_token_ms"
            case totalMs = "total_ms"
        }
    }

    /// A chunk with one choice carrying `delta` (and the finish reason on the last one).
    public init(id: String, created: Int, model: String, delta: Choice.Delta, finishReason: String? = nil) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = [Choice(delta: delta, finishReason: finishReason)]
    }

    /// The usage chunk sent after the last choice when the client asked for it.
    public init(id: String, created: Int, model: String, usage: Usage, timings: Timings?) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = []
        self.usage = usage
        self.timings = timings
    }
}
