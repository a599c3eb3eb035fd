import CLlama
import Foundation
import Logging
import Synchronization

/// Text generation with continuous batching: up to `parallelSequences` requests run at once as
/// distinct sequences of one llama.cpp context, and every step decodes one token of each running
/// sequence (plus chunks of newly admitted prompts) in a single batch. A request admitted into a
/// slot whose cache shares a prefix with its prompt (a system prompt, the same question) reuses
/// those KV cells instead of recomputing them.
///
/// All llama.cpp work happens on the generator's own thread, never on Swift's cooperative pool.
public final class Generator: Sendable {
    public struct Configuration: Sendable {
        /// Requests decoded together (distinct sequences of the context).
        public var parallelSequences: Int
        /// Tokens of context per sequence (prompt + answer); 0 uses min(model's trained context, 4096).
        /// llama.cpp rounds the whole context up to a multiple of 256, so the real figure
        /// (`Generator.contextPerSequence`) can be larger.
        public var contextPerSequence: Int
        /// Tokens per decode step (prompt chunks + one per running sequence).
        public var batchTokens: Int
        /// CPU threads (`N_THREADS`).
        public var threads: Int
        /// Requests that may wait for a free sequence; beyond them `stream` throws `overloaded`.
        public var maxQueuedRequests: Int
        /// Keep a finished sequence's cells as a prompt cache for the next request in its slot.
        /// Off: a sequence's cells are freed as soon as it ends.
        public var reusePromptPrefix: Bool

        /// llama.cpp's flash attention; nil lets llama.cpp decide. Off by default: with flash
        /// attention (and with repacked weights, see `LlamaModel.Parameters.repackWeights`) a token's
        /// logits depend on how many tokens share its batch, so a greedy answer could change with a
        /// cached prefix or with concurrent requests. The cost is small (bench/RESULTS.md §6).
        public var flashAttention: Bool?

        public init(
            parallelSequences: Int = 4, contextPerSequence: Int = 0, batchTokens: Int = 512, threads: Int = 4,
            maxQueuedRequests: Int = 64, reusePromptPrefix: Bool = true, flashAttention: Bool? = false
        ) {
            self.maxQueuedRequests = maxQueuedRequests
            self.flashAttention = flashAttention
            self.parallelSequences = parallelSequences
            self.contextPerSequence = contextPerSequence
            self.batchTokens = batchTokens
            self.threads = threads
            self.reusePromptPrefix = reusePromptPrefix
        }
    }

    /// Counters since the generator started.
    public struct Statistics: Sendable, Equatable {
        /// Tokens generated (sampled) across all requests.
        public var generatedTokens: Int
        /// Prompt tokens of admitted requests that go through the model (cached prefixes excluded).
        public var promptTokensProcessed: Int
        /// Prompt tokens served from the cache.
        public var promptTokensReused: Int
        /// Requests running now.
        public var activeSequences: Int
        /// Requests waiting for a free sequence.
        public var queuedRequests: Int
    }

    public let model: LlamaModel
    /// Context available to one request (prompt + answer), in tokens.
    public let contextPerSequence: Int
    /// Requests decoded together.
    public let parallelSequences: Int
    private let scheduler: GenerationScheduler

    /// - Parameter logger: receives request admissions and completions (debug) and decode failures (error).
    public init(model: LlamaModel, configuration: Configuration = .init(), logger: Logger = .disabled) throws(LlamaError) {
        try LlamaContext.validate(sequences: configuration.parallelSequences, named: "parallelSequences", threads: configuration.threads)
        guard configuration.batchTokens >= configuration.parallelSequences else {
            throw .invalidConfiguration("batchTokens (\(configuration.batchTokens)) must be at least parallelSequences (\(configuration.parallelSequences))")
        }
        guard model.isGenerative else { throw .invalidConfiguration("\(model.name) is not a text-generation model") }
        let trained = model.trainedContextLength
        let perSequence = configuration.contextPerSequence > 0 ? configuration.contextPerSequence : min(trained, 4096)
        guard perSequence >= 16 else { throw .invalidConfiguration("contextPerSequence must be at least 16, got \(perSequence)") }

        var params = llama_context_default_params()
        params.n_ctx = UInt32(perSequence * configuration.parallelSequences)
        params.n_batch = UInt32(configuration.batchTokens)
        params.n_ubatch = UInt32(min(configuration.batchTokens, 512))
        params.n_seq_max = UInt32(configuration.parallelSequences)
        params.n_threads = Int32(configuration.threads)
        params.n_threads_batch = Int32(configuration.threads)
        params.kv_unified = false  // each sequence owns contextPerSequence cells
        params.no_perf = true
        params.flash_attn_type = switch configuration.flashAttention {
        case nil: LLAMA_FLASH_ATTN_TYPE_AUTO
        case true?: LLAMA_FLASH_ATTN_TYPE_ENABLED
        case false?: LLAMA_FLASH_ATTN_TYPE_DISABLED
        }
        let context = try LlamaContext(model: model, parameters: params)
        self.model = model
        self.contextPerSequence = context.contextPerSequence
        self.parallelSequences = configuration.parallelSequences
        self.scheduler = GenerationScheduler(
            executor: LlamaExecutor(context: context, batchCapacity: configuration.batchTokens), configuration: configuration, logger: logger)
    }

    deinit {
        scheduler.shutdown()
    }

    /// Streams the answer to a raw `prompt` (special tokens in it, like `<|im_start|>`, are parsed).
    /// Throws at once when the prompt is empty or leaves no room to answer.
    public func stream(prompt: String, parameters: SamplingParameters = .init()) throws(LlamaError) -> AsyncThrowingStream<GenerationEvent, Error> {
        try parameters.validate()
        let tokens = try promptTokens(prompt)
        return try scheduler.submit(promptTokens: tokens, parameters: parameters)
    }

    /// Streams the assistant's answer to `messages`, rendered with the model's own chat template.
    /// Only the template's own markers are special tokens: a `<|im_end|>` typed by a citizen or
    /// written in a document is text (see `chatTokens`).
    public func stream(messages: [ChatMessage], parameters: SamplingParameters = .init()) throws(LlamaError) -> AsyncThrowingStream<GenerationEvent, Error> {
        try parameters.validate()
        return try scheduler.submit(promptTokens: try checked(try chatTokens(messages)), parameters: parameters)
    }

    /// Generates the whole answer to `prompt`.
    public func complete(prompt: String, parameters: SamplingParameters = .init()) async throws -> Completion {
        try await Completion(collecting: stream(prompt: prompt, parameters: parameters))
    }

    /// Generates the whole answer to `messages` (chat template applied).
    public func complete(messages: [ChatMessage], parameters: SamplingParameters = .init()) async throws -> Completion {
        try await Completion(collecting: stream(messages: messages, parameters: parameters))
    }

    /// Tokens of `prompt` as the generator will see them, after checking it fits a sequence.
    public func promptTokens(_ prompt: String) throws(LlamaError) -> [Token] {
        if prompt.isEmpty { throw .emptyInput(index: 0) }
        return try checked(try model.tokenize(prompt, addSpecial: true, parseSpecial: true))
    }

    /// Tokens of `messages` rendered with the chat template, where only the template's text may
    /// hold special tokens: each message's content is tokenised with special tokens *not* parsed.
    /// The template is rendered around placeholders, which are then replaced by the contents' tokens.
    public func chatTokens(_ messages: [ChatMessage]) throws(LlamaError) -> [Token] {
        let placeholders = messages.indices.map { "\u{F8F0}\($0)\u{F8F1}" }
        let rendered = try model.applyChatTemplate(zip(messages, placeholders).map { ChatMessage(role: $0.role, content: $1) })
        var tokens: [Token] = []
        var rest = Substring(rendered)
        for (message, placeholder) in zip(messages, placeholders) {
            guard let range = rest.range(of: placeholder) else {
                throw .chatTemplateUnavailable(reason: "the chat template of \(model.name) changes message contents")
            }
            tokens += try model.tokenize(String(rest[..<range.lowerBound]), addSpecial: tokens.isEmpty, parseSpecial: true)
            tokens += try model.tokenize(message.content, addSpecial: false, parseSpecial: false)
            rest = rest[range.upperBound...]
        }
        return tokens + (try model.tokenize(String(rest), addSpecial: false, parseSpecial: true))
    }

    /// `tokens` when they are a prompt that leaves room to answer.
    private func checked(_ tokens: [Token]) throws(LlamaError) -> [Token] {
        if tokens.isEmpty { throw .emptyInput(index: 0) }
        if tokens.count >= contextPerSequence {
            throw .promptTooLong(tokens: tokens.count, limit: contextPerSequence - 1)
        }
        return tokens
    }

    public var statistics: Statistics { scheduler.statistics }

    /// Highest cached position of each sequence (slot) now, -1 when empty; [] after shutdown.
    /// For tests and diagnostics.
    public func cachedPositions() async -> [Int] { await scheduler.cachedPositions() }

    /// Fails queued and running requests with `LlamaError.shutDown` and stops the thread.
    public func shutdown() {
        scheduler.shutdown()
    }

}
