import Hummingbird

// The generator service's own contract, beside OpenAI's chat completions (ChatCompletion.swift).

/// `POST /generate` — the original system's contract: `{"prompt"}` → `{"text"}`.
public struct GenerateRequest: Codable, Sendable {
    public var prompt: String
    /// Send the prompt as is; by default it becomes the user turn of the model's chat template.
    public var raw: Bool?
    /// Optional system message (chat template mode only).
    public var system: String?
    public var sampling: SamplingFields

    public init(prompt: String, raw: Bool? = nil, system: String? = nil, sampling: SamplingFields = .init()) {
        self.prompt = prompt
        self.raw = raw
        self.system = system
        self.sampling = sampling
    }

    enum CodingKeys: String, CodingKey {
        case prompt, raw, system
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        prompt = try container.decode(String.self, forKey: .prompt)
        raw = try container.decodeIfPresent(Bool.self, forKey: .raw)
        system = try container.decodeIfPresent(String.self, forKey: .system)
        sampling = try SamplingFields(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(prompt, forKey: .prompt)
        try container.encodeIfPresent(raw, forKey: .raw)
        try container.encodeIfPresent(system, forKey: .system)
        try sampling.encode(to: encoder)
    }
}

/// The answer of `POST /generate`.
public struct GenerateResponse: ResponseCodable, Sendable {
    public var text: String
    public var finishReason: String
    public var usage: Usage

    public init(text: String, finishReason: String, usage: Usage) {
        self.text = text
        self.finishReason = finishReason
        self.usage = usage
    }

    enum CodingKeys: String, CodingKey {
        case text, usage
        case finishReason = "finish_reason"
    }
}

/// `GET /health` of the generator service.
public struct GeneratorHealth: ResponseCodable, Sendable {
    public var status = "ok"
    public var ready: Bool
    public var model: String
    public var contextPerSequence: Int
    public var parallelSequences: Int
    public var activeSequences: Int
    public var queuedRequests: Int

    public init(ready: Bool, model: String, contextPerSequence: Int, parallelSequences: Int, activeSequences: Int, queuedRequests: Int) {
        self.ready = ready
        self.model = model
        self.contextPerSequence = contextPerSequence
        self.parallelSequences = parallelSequences
        self.activeSequences = activeSequences
        self.queuedRequests = queuedRequests
    }

    enum CodingKeys: String, CodingKey {
        case status, ready, model
        case contextPerSequence = "context_per_sequence"
        case parallelSequences = "parallel_sequences"
        case activeSequences = "active_sequences"
        case queuedRequests = "queued_requests"
    }
}
