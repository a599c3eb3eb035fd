import Foundation
import ServiceSupport
import Hummingbird
import LlamaRuntime

/// A string or an array of strings (OpenAI's `stop`).
enum OneOrMany: Decodable {
    case one(String)
    case many([String])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .one(text)
        } else {
            self = .many(try container.decode([String].self))
        }
    }

    var values: [String] {
        switch self {
        case .one(let value): [value]
        case .many(let values): values
        }
    }
}

/// Sampling fields shared by `/generate` and `/v1/chat/completions`, with the original system's defaults.
struct SamplingFields: Decodable {
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Float?
    var topP: Float?
    var topK: Int?
    var minP: Float?
    var repeatPenalty: Float?
    var stop: OneOrMany?
    var seed: UInt32?

    enum CodingKeys: String, CodingKey {
        case temperature, stop, seed
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case repeatPenalty = "repeat_penalty"
    }

    var parameters: SamplingParameters {
        var parameters = SamplingParameters()
        if let maxTokens = maxCompletionTokens ?? maxTokens { parameters.maxTokens = maxTokens }
        if let temperature { parameters.temperature = temperature }
        if let topP { parameters.topP = topP }
        if let topK { parameters.topK = topK }
        if let minP { parameters.minP = minP }
        if let repeatPenalty { parameters.repeatPenalty = repeatPenalty }
        if let stop { parameters.stop = stop.values }
        parameters.seed = seed
        return parameters
    }
}

/// `POST /generate` — the original system's contract: `{"prompt"}` → `{"text"}`.
struct GenerateRequest: Decodable {
    var prompt: String
    /// Send the prompt as is; by default it becomes the user turn of the model's chat template.
    var raw: Bool?
    /// Optional system message (chat template mode only).
    var system: String?
    var sampling: SamplingFields

    enum CodingKeys: String, CodingKey {
        case prompt, raw, system
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        prompt = try container.decode(String.self, forKey: .prompt)
        raw = try container.decodeIfPresent(Bool.self, forKey: .raw)
        system = try container.decodeIfPresent(String.self, forKey: .system)
        sampling = try SamplingFields(from: decoder)
    }
}

struct GenerateResponse: ResponseEncodable {
    var text: String
    var finishReason: String
    var usage: Usage

    enum CodingKeys: String, CodingKey {
        case text, usage
        case finishReason = "finish_reason"
    }
}

/// `POST /v1/chat/completions` — OpenAI's contract.
struct ChatCompletionRequest: Decodable {
    struct Message: Decodable {
        /// Text, or OpenAI's array of content parts (only `text` parts are read).
        enum Content: Decodable {
            case text(String)
            case parts([Part])

            struct Part: Decodable {
                var type: String
                var text: String?
            }

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) {
                    self = .text(text)
                } else {
                    self = .parts(try container.decode([Part].self))
                }
            }

            var text: String {
                switch self {
                case .text(let text): text
                case .parts(let parts): parts.compactMap(\.text).joined()
                }
            }
        }

        var role: String
        var content: Content?
    }

    struct StreamOptions: Decodable {
        var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    var model: String?
    var messages: [Message]
    var stream: Bool?
    var streamOptions: StreamOptions?
    var n: Int?
    var sampling: SamplingFields

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, n
        case streamOptions = "stream_options"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        messages = try container.decode([Message].self, forKey: .messages)
        stream = try container.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try container.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
        n = try container.decodeIfPresent(Int.self, forKey: .n)
        sampling = try SamplingFields(from: decoder)
    }
}

struct GeneratorHealth: ResponseEncodable {
    var status = "ok"
    var ready: Bool
    var model: String
    var contextPerSequence: Int
    var parallelSequences: Int
    var activeSequences: Int
    var queuedRequests: Int

    enum CodingKeys: String, CodingKey {
        case status, ready, model
        case contextPerSequence = "context_per_sequence"
        case parallelSequences = "parallel_sequences"
        case activeSequences = "active_sequences"
        case queuedRequests = "queued_requests"
    }
}
