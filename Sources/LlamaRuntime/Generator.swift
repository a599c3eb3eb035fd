import CLlama
import Foundation
import Logging
import Synchronization

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
        /// cached prefix or with concurrent requests. Measured on Qwen2.5-0.5B: about 5 % slower
        /// prompt processing off than on.
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
        self.scheduler = GenerationScheduler(context: context, configuration: configuration, logger: logger)
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

/// One submitted generation, shared between the caller's stream and the scheduler thread.
final class GenerationRequest: Sendable {
    let promptTokens: [Token]
    let parameters: SamplingParameters
    let continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation
    let submittedAt = ContinuousClock.now
    private let cancelledFlag = Atomic<Bool>(false)

    init(promptTokens: [Token], parameters: SamplingParameters, continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation) {
        self.promptTokens = promptTokens
        self.parameters = parameters
        self.continuation = continuation
    }

    var isCancelled: Bool { cancelledFlag.load(ordering: .acquiring) }
    func cancel() { cancelledFlag.store(true, ordering: .releasing) }
}

/// A sequence id of the context and what its KV cells hold. Touched only on the scheduler thread.
final class Slot {
    let sequence: Int32
    /// Tokens whose KV cells are in the cache for this sequence, at positions 0..<count.
    var cachedTokens: [Token] = []
    var request: GenerationRequest?
    var pendingPrompt: ArraySlice<Token> = []
    var sampler: SamplerChain?
    /// The next token to feed one at a time: the prompt's last token, then each sampled token.
    var nextInput: Token?
    /// Where this slot's logits are in the batch just decoded; -1 when none.
    var outputIndex: Int32 = -1
    var decoder = UTF8StreamDecoder()
    var stopMatcher = StopStringMatcher(stops: [])
    var completionTokens = 0
    var reusedPromptTokens = 0
    var firstTokenAt: ContinuousClock.Instant?

    init(sequence: Int32) { self.sequence = sequence }

    var isIdle: Bool { request == nil }
}

/// The decode loop behind `Generator`, on a thread of its own.
final class GenerationScheduler: @unchecked Sendable {
    private let context: LlamaContext
    private let configuration: Generator.Configuration
    private let contextPerSequence: Int
    private let slots: [Slot]  // scheduler thread only
    private var lastStepDecoded = false  // scheduler thread only
    private let logger: Logger

    private let condition = NSCondition()
    private var queue: [GenerationRequest] = []            // guarded by condition
    private var stopping = false                            // guarded by condition
    private var probes: [CheckedContinuation<[Int], Never>] = []  // guarded by condition

    private let generatedTokens = Atomic<Int>(0)
    private let promptTokensProcessed = Atomic<Int>(0)
    private let promptTokensReused = Atomic<Int>(0)
    private let activeCount = Atomic<Int>(0)
    private let queuedCount = Atomic<Int>(0)

    init(context: LlamaContext, configuration: Generator.Configuration, logger: Logger) {
        self.context = context
        self.logger = logger
        self.configuration = configuration
        self.contextPerSequence = context.contextPerSequence
        self.slots = (0..<configuration.parallelSequences).map { Slot(sequence: Int32($0)) }
        let thread = Thread { [self] in self.run() }
        thread.name = "guiche.generator"
        thread.stackSize = 8 << 20
        thread.start()
    }

    var statistics: Generator.Statistics {
        .init(
            generatedTokens: generatedTokens.load(ordering: .relaxed),
            promptTokensProcessed: promptTokensProcessed.load(ordering: .relaxed),
            promptTokensReused: promptTokensReused.load(ordering: .relaxed),
            activeSequences: activeCount.load(ordering: .relaxed),
            queuedRequests: queuedCount.load(ordering: .relaxed))
    }

    func submit(promptTokens: [Token], parameters: SamplingParameters) throws(LlamaError) -> AsyncThrowingStream<GenerationEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        let request = GenerationRequest(promptTokens: promptTokens, parameters: parameters, continuation: continuation)
        continuation.onTermination = { [weak self] termination in
            if case .cancelled = termination {
                request.cancel()
                self?.wake()
            }
        }
        condition.lock()
        if stopping {
            condition.unlock()
            throw .shutDown
        }
        let waiting = queue.count + activeCount.load(ordering: .relaxed) - configuration.parallelSequences
        if waiting >= configuration.maxQueuedRequests {
            condition.unlock()
            throw .overloaded(queued: queue.count)
        }
        queue.append(request)
        queuedCount.store(queue.count, ordering: .relaxed)
        condition.signal()
        condition.unlock()
        return stream
    }

    func cachedPositions() async -> [Int] {
        await withCheckedContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if stopping {
                continuation.resume(returning: [])
                return
            }
            probes.append(continuation)
            condition.signal()
        }
    }

    func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func wake() {
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    // MARK: - The loop (scheduler thread)

    private func run() {
        let batch = LlamaBatch(capacity: configuration.batchTokens)
        while true {
            guard admitWaitingRequests() else { break }
            dropCancelledRequests()
            fillBatch(batch)
            if batch.isEmpty { continue }
            do {
                try context.process(batch)
            } catch {
                logger.error("decode failed; ending the running requests", metadata: ["error": "\(error)", "batch_tokens": "\(batch.count)"])
                failRunningRequests(with: error)
                continue
            }
            sampleNextTokens()
        }
        failEverything(with: LlamaError.shutDown)
    }

    /// Waits for work, then moves queued requests into idle slots. Returns false on shutdown.
    private func admitWaitingRequests() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while true {
            answerProbes()
            if stopping { return false }
            let busy = slots.contains { !$0.isIdle }
            if busy || !queue.isEmpty { break }
            condition.wait()
        }
        while !queue.isEmpty, slots.contains(where: \.isIdle) {
            let request = queue.removeFirst()
            if request.isCancelled { continue }
            admit(request)
        }
        queuedCount.store(queue.count, ordering: .relaxed)
        return true
    }

    private func answerProbes() {
        guard !probes.isEmpty else { return }
        let positions = slots.map { Int(context.lastCachedPosition(of: $0.sequence)) }
        probes.forEach { $0.resume(returning: positions) }
        probes.removeAll()
    }

    /// Shorter shared prefixes are recomputed rather than copied (a copy moves a sequence's whole
    /// KV buffer, tens of MiB).
    static let minimumCopiedPrefix = 32

    /// Puts `request` into the idle slot whose cache shares the longest prefix with its prompt,
    /// or copies a longer one from another slot.
    private func admit(_ request: GenerationRequest) {
        let prompt = request.promptTokens
        var chosen: Slot?
        var reusable = -1
        for slot in slots where slot.isIdle {
            let shared = configuration.reusePromptPrefix ? Self.commonPrefixLength(slot.cachedTokens, prompt) : 0
            if shared > reusable {
                chosen = slot
                reusable = shared
            }
        }
        guard let slot = chosen else { return }
        // Another slot, idle or running, may hold a longer prefix of this prompt (the same
        // documents in a RAG prompt, concurrent variants of one question): copying its cells
        // costs a memory copy instead of recomputing the prefix.
        if configuration.reusePromptPrefix,
           let (donor, shared) = slots.filter({ $0 !== slot }).map({ ($0, Self.commonPrefixLength($0.cachedTokens, prompt)) }).max(by: { $0.1 < $1.1 }) {
            if shared >= reusable + Self.minimumCopiedPrefix {
                context.copyCells(from: donor.sequence, to: slot.sequence)
                slot.cachedTokens = Array(donor.cachedTokens.prefix(shared))
                reusable = shared
                logger.debug("prompt prefix copied from another sequence", metadata: [
                    "from": "\(donor.sequence)", "to": "\(slot.sequence)", "tokens": "\(shared)",
                ])
            }
        }
        // At least the last prompt token goes through the model, to get the logits of the answer.
        let keep = min(reusable, prompt.count - 1)
        if !context.removeCells(of: slot.sequence, from: Int32(keep)) {
            context.removeCells(of: slot.sequence)
            slot.cachedTokens.removeAll()
        } else {
            slot.cachedTokens.removeSubrange(keep...)
        }
        let reused = slot.cachedTokens.count
        slot.request = request
        // The last prompt token always goes through the model in a step of its own, exactly as it
        // does when the rest of the prompt was cached: the same prompt gives the same logits
        // whether or not its prefix was reused.
        slot.pendingPrompt = prompt[reused..<(prompt.count - 1)]
        slot.nextInput = prompt[prompt.count - 1]
        slot.reusedPromptTokens = reused
        slot.sampler = SamplerChain(parameters: request.parameters, vocabularySize: context.model.vocabularySize)
        slot.outputIndex = -1
        slot.decoder = UTF8StreamDecoder()
        slot.stopMatcher = StopStringMatcher(stops: request.parameters.stop)
        slot.completionTokens = 0
        slot.firstTokenAt = nil
        promptTokensReused.add(reused, ordering: .relaxed)
        promptTokensProcessed.add(prompt.count - reused, ordering: .relaxed)
        activeCount.add(1, ordering: .relaxed)
        logger.debug("request admitted", metadata: [
            "sequence": "\(slot.sequence)", "prompt_tokens": "\(prompt.count)", "reused_tokens": "\(reused)",
        ])
    }

    private func dropCancelledRequests() {
        for slot in slots where slot.request?.isCancelled == true {
            finish(slot, reason: .cancelled)
        }
    }

    /// Alternates two kinds of step: one token for every sequence past its prompt, and a chunk of
    /// one sequence's prompt. A batch never mixes sequences of different lengths: with a KV cache
    /// split per sequence, llama.cpp would cut such a batch into one-token micro-batches (measured:
    /// 4 concurrent 600-token prompts took 75 s instead of 17 s). Steps alternate so that running
    /// streams keep flowing while a new prompt is read.
    private func fillBatch(_ batch: LlamaBatch) {
        batch.clear()
        let decoding = slots.filter { $0.request != nil && $0.pendingPrompt.isEmpty && $0.nextInput != nil }
        let prefilling = slots.first { $0.request != nil && !$0.pendingPrompt.isEmpty }
        if let slot = prefilling, decoding.isEmpty || !lastStepDecoded {
            let chunk = slot.pendingPrompt.prefix(batch.capacity)
            for token in chunk {
                batch.append(token, position: Int32(slot.cachedTokens.count), sequence: slot.sequence, wantsOutput: false)
                slot.cachedTokens.append(token)
            }
            slot.pendingPrompt = slot.pendingPrompt.dropFirst(chunk.count)
            lastStepDecoded = false
            return
        }
        for slot in decoding {
            if slot.cachedTokens.count >= contextPerSequence {
                finish(slot, reason: .length)
                continue
            }
            slot.outputIndex = batch.append(slot.nextInput!, position: Int32(slot.cachedTokens.count), sequence: slot.sequence, wantsOutput: true)
            slot.cachedTokens.append(slot.nextInput!)
            slot.nextInput = nil
        }
        lastStepDecoded = true
    }

    private func sampleNextTokens() {
        for slot in slots where slot.outputIndex >= 0 {
            guard let request = slot.request, let sampler = slot.sampler else { continue }
            let token = sampler.sample(context: context, index: slot.outputIndex)
            slot.outputIndex = -1
            generatedTokens.add(1, ordering: .relaxed)
            if slot.firstTokenAt == nil { slot.firstTokenAt = .now }
            if request.isCancelled {
                finish(slot, reason: .cancelled)
                continue
            }
            if context.model.isEndOfGeneration(token) {
                emit(slot.decoder.flush(), from: slot, final: true)
                finish(slot, reason: .stop)
                continue
            }
            slot.completionTokens += 1
            let text = slot.decoder.append(context.model.piece(of: token))
            let (visible, stopped) = slot.stopMatcher.feed(text)
            if !visible.isEmpty { request.continuation.yield(.text(visible)) }
            if stopped {
                finish(slot, reason: .stop)
                continue
            }
            if slot.completionTokens >= request.parameters.maxTokens {
                emit(slot.decoder.flush(), from: slot, final: true)
                finish(slot, reason: .length)
                continue
            }
            slot.nextInput = token
        }
    }

    /// Emits the text left in the decoder and the stop matcher at the end of a generation.
    private func emit(_ tail: String, from slot: Slot, final: Bool) {
        guard let request = slot.request else { return }
        let (visible, _) = slot.stopMatcher.feed(tail)
        let rest = final ? visible + slot.stopMatcher.flush() : visible
        if !rest.isEmpty { request.continuation.yield(.text(rest)) }
    }

    private func finish(_ slot: Slot, reason: FinishReason) {
        guard let request = slot.request else { return }
        let now = ContinuousClock.now
        let summary = GenerationSummary(
            finishReason: reason,
            usage: GenerationUsage(promptTokens: request.promptTokens.count, cachedPromptTokens: slot.reusedPromptTokens, completionTokens: slot.completionTokens),
            timeToFirstToken: slot.firstTokenAt.map { $0 - request.submittedAt },
            totalTime: now - request.submittedAt)
        logger.debug("request finished", metadata: [
            "sequence": "\(slot.sequence)", "reason": "\(reason.rawValue)", "completion_tokens": "\(slot.completionTokens)",
        ])
        // Free the slot before the consumer hears the end, so what it observes next is settled.
        release(slot, keepCache: configuration.reusePromptPrefix && reason != .cancelled)
        if reason != .cancelled { request.continuation.yield(.finished(summary)) }
        request.continuation.finish()
    }

    private func release(_ slot: Slot, keepCache: Bool) {
        if !keepCache {
            context.removeCells(of: slot.sequence)
            slot.cachedTokens.removeAll()
        }
        slot.request = nil
        slot.sampler = nil
        slot.nextInput = nil
        slot.outputIndex = -1
        slot.pendingPrompt = []
        activeCount.add(-1, ordering: .relaxed)
    }

    /// Ends every running request with `error`. After a failed decode the cache state of the
    /// batch's sequences is unknown, so their cells are dropped.
    private func failRunningRequests(with error: Error) {
        for slot in slots {
            guard let request = slot.request else { continue }
            release(slot, keepCache: false)
            request.continuation.finish(throwing: error)
        }
    }

    private func failEverything(with error: Error) {
        failRunningRequests(with: error)
        condition.lock()
        let waiting = queue
        queue.removeAll()
        answerProbes()
        condition.unlock()
        waiting.forEach { $0.continuation.finish(throwing: error) }
    }

    static func commonPrefixLength(_ a: [Token], _ b: [Token]) -> Int {
        var length = 0
        let limit = min(a.count, b.count)
        while length < limit, a[length] == b[length] { length += 1 }
        return length
    }
}
