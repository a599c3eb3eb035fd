import Foundation
import Logging
import Synchronization

/// The decode loop behind `Generator`, on a thread of its own, in the manner of llama.cpp's
/// server: slots with explicit states, one batch per step. It owns the policy — admission into
/// the slot whose cache shares the longest prefix, prefix donation between slots, batch
/// composition, cancellation, the queue limit — and leaves the model to its `GenerationExecutor`.
final class GenerationScheduler: @unchecked Sendable {
    private let executor: any GenerationExecutor
    private let configuration: Generator.Configuration
    private let contextPerSequence: Int
    private let slots: [Slot]  // scheduler thread only
    private var lastStepDecoded = false  // scheduler thread only
    private var admissions = 0  // scheduler thread only
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

    /// Shorter shared prefixes are recomputed rather than copied (a copy moves a sequence's whole
    /// KV buffer, tens of MiB).
    static let minimumCopiedPrefix = 32

    init(executor: any GenerationExecutor, configuration: Generator.Configuration, logger: Logger) {
        self.executor = executor
        self.logger = logger
        self.configuration = configuration
        self.contextPerSequence = executor.contextPerSequence
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
        var step = DecodeStep(capacity: configuration.batchTokens)
        while true {
            guard admitWaitingRequests() else { break }
            dropCancelledRequests()
            fill(&step)
            if step.isEmpty { continue }
            do {
                try executor.decode(step)
            } catch {
                logger.error("decode failed; ending the running requests", metadata: ["error": "\(error)", "batch_tokens": "\(step.count)"])
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
        let positions = slots.map { Int(executor.lastCachedPosition(of: $0.sequence)) }
        probes.forEach { $0.resume(returning: positions) }
        probes.removeAll()
    }

    /// Puts `request` into an idle slot (see `idleSlot(for:)`), or copies a longer prefix from
    /// another slot.
    private func admit(_ request: GenerationRequest) {
        let prompt = request.promptTokens
        guard let (slot, shared) = idleSlot(for: prompt) else { return }
        var reusable = shared
        admissions += 1
        slot.lastAdmission = admissions
        // Another slot, idle or running, may hold a longer prefix of this prompt (the same
        // documents in a RAG prompt, concurrent variants of one question): copying its cells
        // costs a memory copy instead of recomputing the prefix.
        if configuration.reusePromptPrefix,
           let (donor, shared) = slots.filter({ $0 !== slot }).map({ ($0, Self.commonPrefixLength($0.cachedTokens, prompt)) }).max(by: { $0.1 < $1.1 }) {
            if shared >= reusable + Self.minimumCopiedPrefix {
                executor.copyCells(from: donor.sequence, to: slot.sequence)
                slot.cachedTokens = Array(donor.cachedTokens.prefix(shared))
                reusable = shared
                logger.debug("prompt prefix copied from another sequence", metadata: [
                    "from": "\(donor.sequence)", "to": "\(slot.sequence)", "tokens": "\(shared)",
                ])
            }
        }
        // At least the last prompt token goes through the model, to get the logits of the answer.
        let keep = min(reusable, prompt.count - 1)
        if !executor.removeCells(of: slot.sequence, from: Int32(keep)) {
            executor.removeCells(of: slot.sequence, from: 0)
            slot.cachedTokens.removeAll()
        } else {
            slot.cachedTokens.removeSubrange(keep...)
        }
        let reused = slot.cachedTokens.count
        let generation = Slot.Generation(request: request, sampler: executor.makeSampler(request.parameters), reusedPromptTokens: reused)
        // The last prompt token always goes through the model in a step of its own, exactly as it
        // does when the rest of the prompt was cached: the same prompt gives the same logits
        // whether or not its prefix was reused.
        let pending = prompt[reused..<(prompt.count - 1)]
        let last = prompt[prompt.count - 1]
        slot.state = pending.isEmpty ? .ready(generation, next: last) : .prefilling(generation, pending: pending, last: last)
        promptTokensReused.add(reused, ordering: .relaxed)
        promptTokensProcessed.add(prompt.count - reused, ordering: .relaxed)
        activeCount.add(1, ordering: .relaxed)
        logger.debug("request admitted", metadata: [
            "sequence": "\(slot.sequence)", "prompt_tokens": "\(prompt.count)", "reused_tokens": "\(reused)",
        ])
    }

    /// The idle slot whose cache shares the longest prefix with `prompt`, when that prefix is
    /// worth keeping (`minimumCopiedPrefix` tokens); otherwise an empty slot, else the one admitted
    /// longest ago — as llama.cpp's server picks the least recently used slot — so that a prompt
    /// sharing only a chat template's opening does not overwrite a cached prompt that a later
    /// request, or concurrent variants of it, could still reuse or copy. With the prefix it shares.
    private func idleSlot(for prompt: [Token]) -> (Slot, Int)? {
        let idle = slots.filter(\.isIdle)
        let shared = idle.map { configuration.reusePromptPrefix ? Self.commonPrefixLength($0.cachedTokens, prompt) : 0 }
        guard let best = shared.indices.max(by: { shared[$0] < shared[$1] }) else { return nil }
        if shared[best] >= Self.minimumCopiedPrefix { return (idle[best], shared[best]) }
        let staleness = { (index: Int) in (idle[index].cachedTokens.isEmpty ? 0 : 1, idle[index].lastAdmission) }
        let spare = idle.indices.min { staleness($0) < staleness($1) }!
        return (idle[spare], shared[spare])
    }

    private func dropCancelledRequests() {
        for slot in slots where slot.generation?.request.isCancelled == true {
            finish(slot, reason: .cancelled)
        }
    }

    /// Alternates two kinds of step: one token for every sequence past its prompt, and a chunk of
    /// one sequence's prompt. A step never mixes sequences of different lengths: with a KV cache
    /// split per sequence, llama.cpp would cut such a batch into one-token micro-batches (bench/RESULTS.md
    /// §6). Steps alternate so that
    /// running streams keep flowing while a new prompt is read.
    private func fill(_ step: inout DecodeStep) {
        step.clear()
        let decoding = slots.filter { if case .ready = $0.state { true } else { false } }
        // A prompt chunk after every decode step (or whenever nothing decodes).
        if decoding.isEmpty || lastStepDecoded {
            for slot in slots {
                guard case .prefilling(let generation, let pending, let last) = slot.state else { continue }
                let chunk = pending.prefix(step.capacity)
                for token in chunk {
                    _ = step.append(token, position: Int32(slot.cachedTokens.count), sequence: slot.sequence, wantsOutput: false)
                    slot.cachedTokens.append(token)
                }
                let rest = pending.dropFirst(chunk.count)
                slot.state = rest.isEmpty ? .ready(generation, next: last) : .prefilling(generation, pending: rest, last: last)
                lastStepDecoded = false
                return
            }
        }
        for slot in decoding {
            guard case .ready(let generation, let next) = slot.state else { continue }
            if slot.cachedTokens.count >= contextPerSequence {
                finish(slot, reason: .length)
                continue
            }
            let output = step.append(next, position: Int32(slot.cachedTokens.count), sequence: slot.sequence, wantsOutput: true)
            slot.cachedTokens.append(next)
            slot.state = .sampling(generation, output: output)
        }
        lastStepDecoded = true
    }

    private func sampleNextTokens() {
        for slot in slots {
            guard case .sampling(let generation, let output) = slot.state else { continue }
            let request = generation.request
            let token = generation.sampler.sample(at: output)
            generatedTokens.add(1, ordering: .relaxed)
            if generation.firstTokenAt == nil { generation.firstTokenAt = .now }
            if request.isCancelled {
                finish(slot, reason: .cancelled)
                continue
            }
            if executor.isEndOfGeneration(token) {
                emitRest(of: generation)
                finish(slot, reason: .stop)
                continue
            }
            generation.completionTokens += 1
            let text = generation.decoder.append(executor.piece(of: token))
            let (visible, stopped) = generation.stopMatcher.feed(text)
            if !visible.isEmpty { request.continuation.yield(.text(visible)) }
            if stopped {
                finish(slot, reason: .stop)
                continue
            }
            if generation.completionTokens >= request.parameters.maxTokens {
                emitRest(of: generation)
                finish(slot, reason: .length)
                continue
            }
            slot.state = .ready(generation, next: token)
        }
    }

    /// Emits the text left in the decoder and the stop matcher at the end of a generation.
    private func emitRest(of generation: Slot.Generation) {
        let (visible, _) = generation.stopMatcher.feed(generation.decoder.flush())
        let rest = visible + generation.stopMatcher.flush()
        if !rest.isEmpty { generation.request.continuation.yield(.text(rest)) }
    }

    private func finish(_ slot: Slot, reason: FinishReason) {
        guard let generation = slot.generation else { return }
        let request = generation.request
        let summary = GenerationSummary(
            finishReason: reason,
            usage: GenerationUsage(
                promptTokens: request.promptTokens.count, cachedPromptTokens: generation.reusedPromptTokens,
                completionTokens: generation.completionTokens),
            timeToFirstToken: generation.firstTokenAt.map { $0 - request.submittedAt },
            totalTime: .now - request.submittedAt)
        logger.debug("request finished", metadata: [
            "sequence": "\(slot.sequence)", "reason": "\(reason.rawValue)", "completion_tokens": "\(generation.completionTokens)",
        ])
        // Free the slot before the consumer hears the end, so what it observes next is settled.
        release(slot, keepCache: configuration.reusePromptPrefix && reason != .cancelled)
        if reason != .cancelled { request.continuation.yield(.finished(summary)) }
        request.continuation.finish()
    }

    private func release(_ slot: Slot, keepCache: Bool) {
        if !keepCache {
            executor.removeCells(of: slot.sequence, from: 0)
            slot.cachedTokens.removeAll()
        }
        slot.state = .idle
        activeCount.add(-1, ordering: .relaxed)
    }

    /// Ends every running request with `error`. After a failed decode the cache state of the
    /// step's sequences is unknown, so their cells are dropped.
    private func failRunningRequests(with error: Error) {
        for slot in slots {
            guard let generation = slot.generation else { continue }
            release(slot, keepCache: false)
            generation.request.continuation.finish(throwing: error)
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
