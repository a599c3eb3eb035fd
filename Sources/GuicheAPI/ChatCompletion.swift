import Hummingbird

// OpenAI's chat-completion contract: what the generator service and the rag service's
// OpenAI-compatible endpoint answer, and what the rag service sends the generator.

/// A string or an array of strings (OpenAI's `stop`, and the embeddings' `input`).
public enum OneOrMany: Codable, Sendable, Equatable {
    case one(String)
    case many([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .one(text)
        } else if let texts = try? container.decode([String].self) {
            self = .many(texts)
        } else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "expected a string or an array of strings (token-id arrays are not accepted)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .one(let value): try container.encode(value)
        case .many(let values): try container.encode(values)
        }
    }

    public var values: [String] {
        switch self {
        case .one(let value): [value]
        case .many(let values): values
        }
    }
}

/// The sampling fields of `/generate` and `/v1/chat/completions`, all optional (the service's
/// defaults apply), sent at the top level of the request.
public struct SamplingFields: Codable, Sendable, Equatable {
    public var maxTokens: Int?
    public var maxCompletionTokens: Int?
    public var temperature: Float?
    public var topP: Float?
    public var topK: Int?
    public var minP: Float?
    public var repeatPenalty: Float?
    /// How many recent tokens the repeat penalty looks at.
    public var repeatLastN: Int?
    public var stop: OneOrMany?
    public var seed: UInt32?

    public init(
        maxTokens: Int? = nil, temperature: Float? = nil, topP: Float? = nil, topK: Int? = nil, minP: Float? = nil,
        repeatPenalty: Float? = nil, repeatLastN: Int? = nil, stop: [String]? = nil, seed: UInt32? = nil
    ) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.repeatLastN = repeatLastN
        self.stop = stop.map { .many($0) }
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey {
        case temperature, stop, seed
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case repeatPenalty = "repeat_penalty"
        case repeatLastN = "repeat_last_n"
    }
}

/// Token counts of a completion (OpenAI's `usage`, plus the prompt tokens found in the cache).
public struct Usage: Codable, Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int
    public var cachedPromptTokens: Int?

    public init(promptTokens: Int, completionTokens: Int, cachedPromptTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = promptTokens + completionTokens
        self.cachedPromptTokens = cachedPromptTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case cachedPromptTokens = "cached_prompt_tokens"
    }
}

/// `POST /v1/chat/completions`.
public struct ChatCompletionRequest: Codable, Sendable {
    public struct Message: Codable, Sendable {
        /// Text, or OpenAI's array of content parts (only `text` parts are read).
        public enum Content: Codable, Sendable {
            case text(String)
            case parts([Part])

            public struct Part: Codable, Sendable {
                public var type: String
                public var text: String?
            }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) {
                    self = .text(text)
                } else {
                    self = .parts(try container.decode([Part].self))
                }
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .text(let text): try container.encode(text)
                case .parts(let parts): try container.encode(parts)
                }
            }

            public var text: String {
                switch self {
                case .text(let text): text
                case .parts(let parts): parts.compactMap(\.text).joined()
                }
            }
        }

        public var role: String
        public var content: Content?

        public init(role: String, content: String) {
            self.role = role
            self.content = .text(content)
        }
    }

    public struct StreamOptions: Codable, Sendable {
        public var includeUsage: Bool?

        public init(includeUsage: Bool?) {
            self.includeUsage = includeUsage
        }

        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    public var model: String?
    public var messages: [Message]
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var n: Int?
    public var sampling: SamplingFields

    public init(messages: [Message], stream: Bool? = nil, includeUsage: Bool? = nil, sampling: SamplingFields = .init()) {
        self.messages = messages
        self.stream = stream
        self.streamOptions = includeUsage.map { StreamOptions(includeUsage: $0) }
        self.sampling = sampling
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, n
        case streamOptions = "stream_options"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        messages = try container.decode([Message].self, forKey: .messages)
        stream = try container.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try container.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
        n = try container.decodeIfPresent(Int.self, forKey: .n)
        sampling = try SamplingFields(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(model, forKey: .model)
        try container.encode(messages, forKey: .messages)
        try container.encodeIfPresent(stream, forKey: .stream)
        try container.encodeIfPresent(streamOptions, forKey: .streamOptions)
        try container.encodeIfPresent(n, forKey: .n)
        try sampling.encode(to: encoder)
    }
}

/// A whole chat completion (`"object": "chat.completion"`).
public struct ChatCompletionResponse: ResponseCodable, Sendable {
    public struct Choice: Codable, Sendable {
        public struct Message: Codable, Sendable {
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

/// One event of a streamed chat completion.
public struct ChatCompletionChunk: Codable, Sendable {
    public struct Choice: Codable, Sendable {
        public struct Delta: Codable, Sendable {
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

        public init(delta: Delta, finishReason: String?) {
            self.delta = delta
            self.finishReason = finishReason
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(delta, forKey: .delta)
            try container.encode(finishReason, forKey: .finishReason)  // explicit null while streaming
        }
    }

    /// On the usage chunk: the engine's own account of this generation (as llama.cpp's server
    /// does), so that a caller can tell model time from transport.
    public struct Timings: Codable, Sendable {
        public var firstTokenMs: Double?
        public var totalMs: Double

        public init(firstTokenMs: Double?, totalMs: Double) {
            self.firstTokenMs = firstTokenMs
            self.totalMs = totalMs
        }

        enum CodingKeys: String, CodingKey {
            case firstTokenMs = "first_token_ms"
            case totalMs = "total_ms"
        }
    }

    public var id: String
    public var object = "chat.completion.chunk"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage?
    public var timings: Timings?

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

/// `GET /v1/models`: the models a client may name.
public struct ModelList: ResponseCodable, Sendable {
    public struct Model: Codable, Sendable {
        public var id: String
        public var object = "model"
        public var created: Int
        public var ownedBy: String

        public init(id: String, created: Int, ownedBy: String) {
            self.id = id
            self.created = created
            self.ownedBy = ownedBy
        }

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
        }
    }

    public var object = "list"
    public var data: [Model]

    public init(data: [Model]) {
        self.data = data
    }
}
