import CLlama

/// One decode step: tokens, each at a position of one sequence; those that want output leave
/// logits to sample from, at their index in the step.
struct DecodeStep {
    struct Entry: Equatable {
        var token: Token
        var position: Int32
        var sequence: Int32
        var wantsOutput: Bool
    }

    private(set) var entries: [Entry] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }

    mutating func clear() { entries.removeAll(keepingCapacity: true) }

    /// Adds a token; returns its index in the step (where its logits will be).
    mutating func append(_ token: Token, position: Int32, sequence: Int32, wantsOutput: Bool) -> Int32 {
        precondition(entries.count < capacity, "decode step overflow")
        entries.append(Entry(token: token, position: position, sequence: sequence, wantsOutput: wantsOutput))
        return Int32(entries.count - 1)
    }
}

/// Picks the next token of one generation from the logits of the step just decoded.
protocol TokenSampler: AnyObject {
    func sample(at output: Int32) -> Token
}

/// What the generation scheduler asks of a model: decode steps over per-sequence KV caches,
/// samplers, and the vocabulary's text. `LlamaExecutor` is llama.cpp; tests use a scripted one,
/// so that admission, batching, prefix reuse and cancellation are tested without a model.
/// Called on the scheduler's thread only.
protocol GenerationExecutor: AnyObject {
    /// Tokens of cache per sequence.
    var contextPerSequence: Int { get }
    func decode(_ step: DecodeStep) throws(LlamaError)
    /// Drops `sequence`'s cells from `position` on; false when the cache cannot cut there.
    @discardableResult
    func removeCells(of sequence: Int32, from position: Int32) -> Bool
    /// Makes `destination`'s cells a copy of `source`'s.
    func copyCells(from source: Int32, to destination: Int32)
    /// Highest position cached for `sequence`, -1 when it holds nothing.
    func lastCachedPosition(of sequence: Int32) -> Int32
    func makeSampler(_ parameters: SamplingParameters) -> any TokenSampler
    func isEndOfGeneration(_ token: Token) -> Bool
    /// The bytes of `token`'s text (a UTF-8 character may span tokens).
    func piece(of token: Token) -> [UInt8]
}

/// The scheduler's executor over a llama.cpp context.
final class LlamaExecutor: GenerationExecutor {
    private let context: LlamaContext
    private let batch: LlamaBatch

    init(context: LlamaContext, batchCapacity: Int) {
        self.context = context
        self.batch = LlamaBatch(capacity: batchCapacity)
    }

    var contextPerSequence: Int { context.contextPerSequence }

    func decode(_ step: DecodeStep) throws(LlamaError) {
        batch.clear()
        for entry in step.entries {
            batch.append(entry.token, position: entry.position, sequence: entry.sequence, wantsOutput: entry.wantsOutput)
        }
        try context.process(batch)
    }

    func removeCells(of sequence: Int32, from position: Int32) -> Bool {
        context.removeCells(of: sequence, from: position)
    }

    func copyCells(from source: Int32, to destination: Int32) {
        context.copyCells(from: source, to: destination)
    }

    func lastCachedPosition(of sequence: Int32) -> Int32 {
        context.lastCachedPosition(of: sequence)
    }

    func makeSampler(_ parameters: SamplingParameters) -> any TokenSampler {
        LlamaSampler(chain: SamplerChain(parameters: parameters, vocabularySize: context.model.vocabularySize), context: context)
    }

    func isEndOfGeneration(_ token: Token) -> Bool { context.model.isEndOfGeneration(token) }

    func piece(of token: Token) -> [UInt8] { context.model.piece(of: token) }

    private final class LlamaSampler: TokenSampler {
        let chain: SamplerChain
        let context: LlamaContext

        init(chain: SamplerChain, context: LlamaContext) {
            self.chain = chain
            self.context = context
        }

        func sample(at output: Int32) -> Token { chain.sample(context: context, index: output) }
    }
}
