import Synchronization

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
