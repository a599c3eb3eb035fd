/// A sequence id of the context and what its KV cells hold. Touched only on the scheduler thread.
final class Slot {
    /// Where a slot's work stands.
    enum State {
        /// No request; the cells may still hold the last prompt and answer (a prefix cache).
        case idle
        /// Reading its prompt: `pending` goes through the model in chunks, then `last` alone.
        case prefilling(Generation, pending: ArraySlice<Token>, last: Token)
        /// Past its prompt: `next` goes through the model in the next decode step.
        case ready(Generation, next: Token)
        /// Decoded in the step just run: its logits are at `output`.
        case sampling(Generation, output: Int32)
    }

    /// The request a busy slot serves, and how its answer is going.
    final class Generation {
        let request: GenerationRequest
        let sampler: any TokenSampler
        var decoder = UTF8StreamDecoder()
        var stopMatcher: StopStringMatcher
        var completionTokens = 0
        let reusedPromptTokens: Int
        var firstTokenAt: ContinuousClock.Instant?

        init(request: GenerationRequest, sampler: any TokenSampler, reusedPromptTokens: Int) {
            self.request = request
            self.sampler = sampler
            self.stopMatcher = StopStringMatcher(stops: request.parameters.stop)
            self.reusedPromptTokens = reusedPromptTokens
        }
    }

    let sequence: Int32
    /// Tokens whose KV cells are in the cache for this sequence, at positions 0..<count.
    var cachedTokens: [Token] = []
    /// When the slot last took a request (the scheduler's count of admissions).
    var lastAdmission = 0
    var state = State.idle

    init(sequence: Int32) { self.sequence = sequence }

    var generation: Generation? {
        switch state {
        case .idle: nil
        case .prefilling(let generation, _, _), .ready(let generation, _), .sampling(let generation, _): generation
        }
    }

    var isIdle: Bool { if case .idle = state { true } else { false } }
}
