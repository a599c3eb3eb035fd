import Foundation
@testable import LlamaRuntime
import Logging
import Testing

/// The generation scheduler's policy — admission, prefix reuse and donation, batch composition,
/// cancellation, the queue limit, failures — without a model: a scripted executor records every
/// decode step and keeps the per-sequence cache positions, checking that each token lands right
/// after the last cached one.
@Suite("generation scheduler (no model)")
struct GenerationSchedulerTests {
    /// Answers every request with `answer` (then the end-of-generation token, unless endless),
    /// one token per decode step; each token's text is one letter.
    final class ScriptedExecutor: GenerationExecutor, @unchecked Sendable {
        static let endOfGeneration: Token = 0
        let contextPerSequence: Int
        let answer: [Token]
        let endless: Bool
        /// Sleep per decode step, so that requests can be submitted while others run.
        let stepTime: Duration

        private let lock = NSLock()
        private var _steps: [[DecodeStep.Entry]] = []
        private var _copies: [(from: Int32, to: Int32)] = []
        private var _misplaced: [DecodeStep.Entry] = []
        private var lastPosition: [Int32: Int32] = [:]
        private var _failNextDecode = false

        init(contextPerSequence: Int = 1 << 20, answer: [Token] = [97, 98, 99], endless: Bool = false, stepTime: Duration = .zero) {
            self.contextPerSequence = contextPerSequence
            self.answer = answer
            self.endless = endless
            self.stepTime = stepTime
        }

        var steps: [[DecodeStep.Entry]] { lock.withLock { _steps } }
        var copies: [(from: Int32, to: Int32)] { lock.withLock { _copies } }
        /// Tokens decoded anywhere but right after their sequence's last cached position.
        var misplaced: [DecodeStep.Entry] { lock.withLock { _misplaced } }
        func failNextDecode() { lock.withLock { _failNextDecode = true } }

        func decode(_ step: DecodeStep) throws(LlamaError) {
            if stepTime > .zero { Thread.sleep(forTimeInterval: Double(stepTime.components.attoseconds) / 1e18) }
            let fail: Bool = lock.withLock {
                _steps.append(step.entries)
                if _failNextDecode {
                    _failNextDecode = false
                    return true
                }
                for entry in step.entries {
                    if entry.position != (lastPosition[entry.sequence] ?? -1) + 1 { _misplaced.append(entry) }
                    lastPosition[entry.sequence] = entry.position
                }
                return false
            }
            if fail { throw .decodeFailed(code: -1, meaning: "scripted failure") }
        }

        func removeCells(of sequence: Int32, from position: Int32) -> Bool {
            lock.withLock { lastPosition[sequence] = min(lastPosition[sequence] ?? -1, position - 1) }
            return true
        }

        func copyCells(from source: Int32, to destination: Int32) {
            lock.withLock {
                _copies.append((source, destination))
                lastPosition[destination] = lastPosition[source]
            }
        }

        func lastCachedPosition(of sequence: Int32) -> Int32 { lock.withLock { lastPosition[sequence] ?? -1 } }

        func makeSampler(_ parameters: SamplingParameters) -> any TokenSampler { Sampler(executor: self) }

        func isEndOfGeneration(_ token: Token) -> Bool { token == Self.endOfGeneration }

        func piece(of token: Token) -> [UInt8] { [UInt8(truncatingIfNeeded: token)] }

        final class Sampler: TokenSampler {
            let executor: ScriptedExecutor
            var produced = 0
            init(executor: ScriptedExecutor) { self.executor = executor }

            func sample(at output: Int32) -> Token {
                defer { produced += 1 }
                if executor.endless { return executor.answer[produced % executor.answer.count] }
                return produced < executor.answer.count ? executor.answer[produced] : ScriptedExecutor.endOfGeneration
            }
        }
    }

    static func scheduler(_ executor: ScriptedExecutor, parallel: Int = 1, batch: Int = 4, queue: Int = 8) -> GenerationScheduler {
        GenerationScheduler(
            executor: executor,
            configuration: .init(parallelSequences: parallel, batchTokens: batch, maxQueuedRequests: queue, reusePromptPrefix: true),
            logger: Logger(label: "test"))
    }

    static func prompt(_ count: Int, from first: Token = 1000) -> [Token] { (0..<Int32(count)).map { first + $0 } }

    @Test("a prompt is read in chunks of the batch, its last token in a step of its own, then one token per step")
    func prefillThenDecode() async throws {
        let executor = ScriptedExecutor()
        let scheduler = Self.scheduler(executor)
        defer { scheduler.shutdown() }
        let completion = try await Completion(collecting: scheduler.submit(promptTokens: Self.prompt(10), parameters: .greedy()))
        #expect(completion.text == "abc")
        #expect(completion.summary.finishReason == .stop)
        #expect(completion.summary.usage == GenerationUsage(promptTokens: 10, cachedPromptTokens: 0, completionTokens: 3))
        let sizes = executor.steps.map(\.count)
        #expect(sizes == [4, 4, 1, 1, 1, 1, 1], "9 prompt tokens in chunks of 4, the last alone, then a b c")
        #expect(executor.steps.prefix(3).allSatisfy { $0.allSatisfy { !$0.wantsOutput } })
        #expect(executor.steps.dropFirst(3).allSatisfy { $0.allSatisfy(\.wantsOutput) })
        #expect(executor.misplaced.isEmpty)
    }

    @Test("a new prompt is read between the running sequences' steps: steps alternate and never mix")
    func prefillAlternatesWithDecoding() async throws {
        let executor = ScriptedExecutor(answer: [97], endless: true, stepTime: .milliseconds(2))
        let scheduler = Self.scheduler(executor, parallel: 2, batch: 4)
        defer { scheduler.shutdown() }
        let running = Task {
            for try await _ in try scheduler.submit(promptTokens: Self.prompt(2), parameters: .greedy(maxTokens: 100_000)) {}
        }
        while executor.steps.count < 3 { try await Task.sleep(for: .milliseconds(1)) }  // the first sequence is decoding
        let second = try await Completion(collecting: scheduler.submit(promptTokens: Self.prompt(17, from: 2000), parameters: .greedy(maxTokens: 2)))
        #expect(second.summary.usage.completionTokens == 2)
        running.cancel()
        _ = await running.result

        let steps = executor.steps
        #expect(steps.allSatisfy { step in step.allSatisfy(\.wantsOutput) || (step.allSatisfy { !$0.wantsOutput } && Set(step.map(\.sequence)).count == 1) },
                "a step is either one token per decoding sequence or a chunk of one prompt")
        // While the first sequence decodes, the second prompt's 16-token body is read in 4 chunks, each after a decode step.
        let prefills = steps.indices.filter { steps[$0].allSatisfy { !$0.wantsOutput } && steps[$0].first?.sequence == 1 }
        #expect(prefills.count == 4)
        #expect(prefills.allSatisfy { $0 > 0 && steps[$0 - 1].allSatisfy(\.wantsOutput) },
                "\(steps.map { step in step.map { "\($0.sequence)\($0.wantsOutput ? "d" : "p")" }.joined(separator: ",") })")
        #expect(executor.misplaced.isEmpty)
    }

    @Test("the cached prefix of a finished request is reused; a longer prefix in another slot is copied")
    func prefixReuseAndDonation() async throws {
        let executor = ScriptedExecutor(answer: [97], endless: true, stepTime: .milliseconds(1))
        let scheduler = Self.scheduler(executor, parallel: 2, batch: 64)
        defer { scheduler.shutdown() }
        let documents = Self.prompt(40)
        // The same prompt again: all but its last token come from the cache.
        _ = try await Completion(collecting: scheduler.submit(promptTokens: documents, parameters: .greedy(maxTokens: 3)))
        let again = try await Completion(collecting: scheduler.submit(promptTokens: documents, parameters: .greedy(maxTokens: 3)))
        #expect(again.summary.usage.cachedPromptTokens == 39)
        #expect(executor.copies.isEmpty)

        // While slot 0 runs a prompt with the same documents, a variant goes to idle slot 1 and
        // gets the documents' cells by copy instead of recomputing them.
        let running = Task {
            for try await _ in try scheduler.submit(promptTokens: documents + [7, 8], parameters: .greedy(maxTokens: 100_000)) {}
        }
        while scheduler.statistics.generatedTokens < 8 { try await Task.sleep(for: .milliseconds(1)) }  // slot 0 is decoding
        let variant = try await Completion(collecting: scheduler.submit(promptTokens: documents + [9, 10, 11], parameters: .greedy(maxTokens: 2)))
        running.cancel()
        _ = await running.result
        #expect(executor.copies.count == 1 && executor.copies.first?.from == 0 && executor.copies.first?.to == 1)
        #expect(variant.summary.usage.cachedPromptTokens == 40)
        #expect(executor.misplaced.isEmpty)
    }

    @Test("a prompt sharing only a short opening takes a spare slot, so a cached prompt survives for its variants to copy")
    func cachedPromptSurvivesUnrelatedOnes() async throws {
        let executor = ScriptedExecutor(answer: [97], endless: true, stepTime: .milliseconds(1))
        let scheduler = Self.scheduler(executor, parallel: 3, batch: 64)
        defer { scheduler.shutdown() }
        let template = Self.prompt(8, from: 500)  // a chat template's opening, shared by every prompt
        let documents = template + Self.prompt(60)
        _ = try await Completion(collecting: scheduler.submit(promptTokens: documents, parameters: .greedy(maxTokens: 2)))
        // Another prompt with the same opening and other documents: it must not take (and
        // overwrite) the slot holding the first one's cells.
        let other = try await Completion(collecting: scheduler.submit(promptTokens: template + Self.prompt(60, from: 3000), parameters: .greedy(maxTokens: 2)))
        #expect(other.summary.usage.cachedPromptTokens == 0)
        // Three concurrent variants of the first prompt: one reuses its slot, the others copy it.
        let variants = try await withThrowingTaskGroup(of: Completion.self) { group in
            for suffix in [[7], [8], [9]] as [[Token]] {
                group.addTask { try await Completion(collecting: scheduler.submit(promptTokens: documents + suffix, parameters: .greedy(maxTokens: 50))) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(variants.map(\.summary.usage.cachedPromptTokens).sorted() == [68, 68, 68])
        #expect(executor.copies.count == 2)
        #expect(executor.misplaced.isEmpty)
    }

    @Test("a cancelled request ends within a step, frees its slot and its cells; the next one runs")
    func cancellation() async throws {
        let executor = ScriptedExecutor(answer: [97], endless: true, stepTime: .milliseconds(1))
        let scheduler = Self.scheduler(executor)
        defer { scheduler.shutdown() }
        let prompt = Self.prompt(6)
        let consumer = Task {
            var pieces = 0
            for try await event in try scheduler.submit(promptTokens: prompt, parameters: .greedy(maxTokens: 100_000)) {
                if case .text = event { pieces += 1 }
                if pieces == 3 { break }  // the consumer stops listening
            }
        }
        try await consumer.value
        // The request ends at the next step: its slot frees and decoding stops.
        for _ in 0..<5000 where scheduler.statistics.activeSequences > 0 { try await Task.sleep(for: .milliseconds(1)) }
        let stepsAfterCancel = executor.steps.count
        try await Task.sleep(for: .milliseconds(20))
        #expect(executor.steps.count == stepsAfterCancel, "nothing decodes after the cancellation")
        let next = try await Completion(collecting: scheduler.submit(promptTokens: prompt, parameters: .greedy(maxTokens: 2)))
        #expect(next.summary.usage.cachedPromptTokens == 0, "a cancelled request's cells are dropped, not reused")
        #expect(scheduler.statistics.activeSequences == 0 && scheduler.statistics.queuedRequests == 0)
        #expect(executor.misplaced.isEmpty)
    }

    @Test("beyond the slots and the queue, requests are refused at once")
    func overload() async throws {
        let executor = ScriptedExecutor(answer: [97], endless: true, stepTime: .milliseconds(1))
        let scheduler = Self.scheduler(executor, parallel: 1, queue: 1)
        defer { scheduler.shutdown() }
        var running = try scheduler.submit(promptTokens: Self.prompt(3), parameters: .greedy(maxTokens: 100_000)).makeAsyncIterator()
        _ = try await running.next()  // decoding: the one slot is taken
        let queued = try scheduler.submit(promptTokens: Self.prompt(3), parameters: .greedy(maxTokens: 1))
        #expect(throws: LlamaError.overloaded(queued: 1)) {
            try scheduler.submit(promptTokens: Self.prompt(3), parameters: .greedy(maxTokens: 1))
        }
        scheduler.shutdown()
        await #expect(throws: LlamaError.shutDown) { while try await running.next() != nil {} }
        await #expect(throws: LlamaError.shutDown) { try await Completion(collecting: queued) }
    }

    @Test("a full context ends a generation with reason length")
    func contextFull() async throws {
        let executor = ScriptedExecutor(contextPerSequence: 8, answer: [97], endless: true)
        let scheduler = Self.scheduler(executor)
        defer { scheduler.shutdown() }
        let completion = try await Completion(collecting: scheduler.submit(promptTokens: Self.prompt(5), parameters: .greedy(maxTokens: 100)))
        #expect(completion.summary.finishReason == .length)
        #expect(completion.summary.usage.completionTokens == 4, "8 cached positions: 5 of prompt, then 3 answer tokens fed back, and the 4th sampled")
    }

    @Test("a failed decode ends the running requests with its error and drops their cells; the next request runs")
    func decodeFailure() async throws {
        let executor = ScriptedExecutor(stepTime: .milliseconds(1))
        let scheduler = Self.scheduler(executor)
        defer { scheduler.shutdown() }
        executor.failNextDecode()
        await #expect(throws: LlamaError.self) {
            try await Completion(collecting: scheduler.submit(promptTokens: Self.prompt(6), parameters: .greedy()))
        }
        let next = try await Completion(collecting: scheduler.submit(promptTokens: Self.prompt(6), parameters: .greedy()))
        #expect(next.text == "abc")
        #expect(next.summary.usage.cachedPromptTokens == 0)
        #expect(executor.misplaced.isEmpty)
    }
}
