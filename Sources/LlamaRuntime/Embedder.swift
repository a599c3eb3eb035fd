import CLlama
import Foundation
import Logging

/// Turns texts into L2-normalised sentence embeddings with an embedding model (BERT-style encoder
/// or a decoder with pooling). Many texts share one forward pass: each gets its own sequence id,
/// up to `Configuration.maxSequencesPerPass` texts and `packedTokensPerPass` tokens.
///
/// Thread-safe: calls are queued onto the embedder's own inference thread.
public final class Embedder: Sendable {
    public struct Configuration: Sendable {
        /// CPU threads for the forward pass (`N_THREADS`).
        public var threads: Int
        /// Texts per forward pass (`EMBEDDING_BATCH_SIZE`), at most 256.
        public var maxSequencesPerPass: Int
        /// Tokens per forward pass; 0 uses the model's trained context (512 for MiniLM). An encoder
        /// attends over the whole pass, so attention cost grows with the square of this (bench/RESULTS.md §6).
        public var tokensPerPass: Int
        /// Texts are packed together only up to this many tokens; a longer text still gets a pass
        /// of its own (up to `tokensPerPass`). The attention of a pass spans all its tokens, so
        /// packing less wastes less of it, until passes get too small for the matrix kernels
        /// (bench/RESULTS.md §6).
        public var packedTokensPerPass: Int

        /// What to do with a text longer than the model's window.
        public var longInputs: LongInputPolicy

        /// llama.cpp's flash attention for the encoder (on by default; measured faster on e5).
        public var flashAttention: Bool

        public init(
            threads: Int = 4, maxSequencesPerPass: Int = 32, tokensPerPass: Int = 0, packedTokensPerPass: Int = 192,
            longInputs: LongInputPolicy = .reject, flashAttention: Bool = true
        ) {
            self.packedTokensPerPass = packedTokensPerPass
            self.flashAttention = flashAttention
            self.threads = threads
            self.maxSequencesPerPass = maxSequencesPerPass
            self.tokensPerPass = tokensPerPass
            self.longInputs = longInputs
        }
    }

    /// Texts longer than the model's window (`maxInputTokens`).
    public enum LongInputPolicy: String, Sendable {
        /// Refuse them with `LlamaError.inputTooLong` (never a silent truncation).
        case reject
        /// Embed consecutive windows of the text (each with the model's start/end tokens) and take
        /// their mean weighted by the tokens of text in each, as multilingual-e5's reference
        /// implementations do.
        case windowedMean = "window"
    }

    /// A text ready for `embed(prepared:)`: one token window, or several for a long text under
    /// `.windowedMean`, with each window's weight.
    public struct PreparedText: Sendable {
        public var windows: [[Token]]
        public var weights: [Float]
        /// Tokens of the model's prefix ("passage: ") at the start of the first window, after its
        /// start token: left out of the sparse vector, which describes the text alone.
        public var prefixTokens = 0
        /// Whether `vectors(prepared:)` computes this text's sparse vector (with a sparse head).
        public internal(set) var wantsSparse = true

        /// Tokens the model reads for this text, special tokens included.
        public var tokenCount: Int { windows.reduce(0) { $0 + $1.count } }
    }

    public let model: LlamaModel
    /// Length of every returned vector.
    public let dimensions: Int
    /// The sparse head whose vectors `vectors(prepared:)` adds; nil for dense vectors only.
    public let sparseHead: SparseHead?
    /// Longest input, in tokens (special tokens included), that the model reads without truncation.
    public let maxInputTokens: Int
    private let context: LlamaContext
    private let thread: InferenceThread
    private let pooling: llama_pooling_type
    private let maxSequences: Int
    /// CPU threads (the sparse head's encoder shares a long text's tokens among them).
    private let threads: Int
    private let packedTokensPerPass: Int
    private let longInputs: LongInputPolicy

    private let logger: Logger

    /// - Parameters:
    ///   - sparseHead: also gives each text a sparse vector from its token states (the model's
    ///     pooling is then done here, from the same states).
    ///   - logger: receives one debug line per forward pass.
    public init(
        model: LlamaModel, configuration: Configuration = .init(), sparseHead: SparseHead? = nil, logger: Logger = .disabled
    ) throws(LlamaError) {
        if let sparseHead, sparseHead.dimensions != model.embeddingDimensions {
            throw .invalidConfiguration(
                "the sparse head reads \(sparseHead.dimensions)-dimensional token states; \(model.name) gives \(model.embeddingDimensions)")
        }
        try LlamaContext.validate(sequences: configuration.maxSequencesPerPass, named: "maxSequencesPerPass", threads: configuration.threads)
        let trained = model.trainedContextLength
        let tokensPerPass = configuration.tokensPerPass > 0 ? configuration.tokensPerPass : (trained > 0 ? trained : 512)
        var params = llama_context_default_params()
        params.embeddings = true
        // Positions restart at 0 for every sequence: the context only needs one input's length.
        params.n_ctx = UInt32(trained > 0 ? min(trained, tokensPerPass) : tokensPerPass)
        // A non-causal encoder must see each sequence whole in one micro-batch; the pass packs many.
        params.n_batch = UInt32(tokensPerPass)
        params.n_ubatch = UInt32(tokensPerPass)
        params.n_seq_max = UInt32(configuration.maxSequencesPerPass)
        params.n_threads = Int32(configuration.threads)
        params.n_threads_batch = Int32(configuration.threads)
        // The model's own pooling, unless the sparse head needs every token's state: then the mean
        // (the pooling of the models a head is trained for) is taken here.
        params.pooling_type = sparseHead == nil ? LLAMA_POOLING_TYPE_UNSPECIFIED : LLAMA_POOLING_TYPE_NONE
        params.kv_unified = true
        params.flash_attn_type = configuration.flashAttention ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED
        let context = try LlamaContext(model: model, parameters: params)
        let pooling = llama_pooling_type(context.pointer)
        if sparseHead != nil, model.poolingType != LLAMA_POOLING_TYPE_MEAN {
            throw .invalidConfiguration("a sparse head needs a mean-pooling embedding model; \(model.name) pools otherwise")
        }
        if pooling == LLAMA_POOLING_TYPE_RANK {
            throw .embeddingsUnavailable(reason: "\(model.name) is a reranker (rank pooling), not an embedding model")
        }
        self.model = model
        self.context = context
        self.pooling = pooling
        self.sparseHead = sparseHead
        self.dimensions = model.embeddingDimensions
        self.maxInputTokens = min(trained > 0 ? trained : tokensPerPass, tokensPerPass)
        self.maxSequences = configuration.maxSequencesPerPass
        self.threads = configuration.threads
        self.packedTokensPerPass = max(1, configuration.packedTokensPerPass)
        self.longInputs = configuration.longInputs
        self.thread = InferenceThread(name: "guiche.embedder")
        self.logger = logger
    }

    deinit {
        thread.shutdown()
    }

    /// Finishes the passes already queued, then refuses new work with `LlamaError.shutDown`.
    public func shutdown() {
        thread.shutdown()
    }

    /// Identifies what the vectors come from: the model file and, with one, the sparse head's file
    /// (a change in either means an index must be embedded again).
    public var fingerprint: String {
        model.fileFingerprint + (sparseHead.map { " sparse:\($0.fingerprint)" } ?? "")
    }

    /// Number of tokens `text` takes, special tokens included.
    public func tokenCount(_ text: String) throws(LlamaError) -> Int {
        try model.tokenize(text, addSpecial: true).count
    }

    /// Embeds `texts`, returning one unit-length vector per text, in order. An empty text, or one
    /// longer than `maxInputTokens` under `.reject`, fails the whole call with an error naming its index.
    public func embed(_ texts: [String]) async throws(LlamaError) -> [[Float]] {
        try await embed(prepared: prepare(texts, sparseCount: 0))
    }

    /// Tokenizes and checks `texts`, each after `prefix` (the model's "query: " or "passage: "),
    /// for `embed(prepared:)`: empty texts, and texts longer than `maxInputTokens` under `.reject`,
    /// are errors naming their index. Callers that merge several requests into one pass prepare
    /// each request first, so one bad input cannot fail the others. Only the first `sparseCount`
    /// texts get sparse vectors (the others' encoding is not paid for).
    public func prepare(_ texts: [String], prefix: String = "", sparseCount: Int = .max) throws(LlamaError) -> [PreparedText] {
        var prepared: [PreparedText] = []
        prepared.reserveCapacity(texts.count)
        let prefixTokens = prefix.isEmpty ? [] : try model.tokenize(prefix.trimmingCharacters(in: .whitespaces), addSpecial: false)
        let start = model.specialTokensAroundInput.start.count
        for (index, text) in texts.enumerated() {
            if text.isEmpty { throw .emptyInput(index: index) }
            let tokens = try model.tokenize(prefix + text, addSpecial: true)
            var input: PreparedText
            if tokens.count <= maxInputTokens {
                input = PreparedText(windows: [tokens], weights: [1])
            } else if longInputs == .windowedMean {
                input = try windows(of: prefix + text)
            } else {
                throw .inputTooLong(index: index, tokens: tokens.count, limit: maxInputTokens)
            }
            // The prefix is skipped only where it tokenized on its own (it always does for e5's).
            if !prefixTokens.isEmpty, input.windows[0].dropFirst(start).starts(with: prefixTokens) { input.prefixTokens = prefixTokens.count }
            input.wantsSparse = index < sparseCount
            prepared.append(input)
        }
        return prepared
    }

    /// Splits a long text's tokens into windows that each get the model's start and end tokens.
    private func windows(of text: String) throws(LlamaError) -> PreparedText {
        let content = try model.tokenize(text, addSpecial: false)
        let (start, end) = model.specialTokensAroundInput
        let width = maxInputTokens - start.count - end.count
        guard width > 0 else { throw .inputTooLong(index: 0, tokens: content.count, limit: maxInputTokens) }
        var windows: [[Token]] = []
        var weights: [Float] = []
        var offset = 0
        while offset < content.count {
            let chunk = content[offset..<min(offset + width, content.count)]
            windows.append(start + chunk + end)
            weights.append(Float(chunk.count))
            offset += width
        }
        return PreparedText(windows: windows, weights: weights)
    }

    /// Embeds texts prepared by `prepare(_:)`.
    public func embed(prepared texts: [PreparedText]) async throws(LlamaError) -> [[Float]] {
        try await vectors(prepared: texts).map(\.dense)
    }

    /// The dense vectors of texts prepared by `prepare(_:prefix:sparseCount:)` and, with a sparse head,
    /// the sparse vectors of those that want one (from the same forward pass: the text's tokens, without start, end or prefix
    /// tokens, max-pooled over a long text's windows).
    public func vectors(prepared texts: [PreparedText]) async throws(LlamaError) -> [TextVectors] {
        if texts.isEmpty { return [] }
        let windows = texts.flatMap { text in
            text.windows.enumerated().map { Window(tokens: $1, prefixTokens: $0 == 0 ? text.prefixTokens : 0, wantsSparse: text.wantsSparse) }
        }
        if let index = windows.firstIndex(where: { $0.tokens.isEmpty || $0.tokens.count > maxInputTokens }) {
            throw .inputTooLong(index: index, tokens: windows[index].tokens.count, limit: maxInputTokens)
        }
        let pooled = try await thread.run { () throws(LlamaError) -> [PooledWindow] in
            try self.embedOnThread(windows)
        }
        var results: [TextVectors] = []
        results.reserveCapacity(texts.count)
        var next = 0
        for text in texts {
            let parts = pooled[next..<(next + text.windows.count)]
            var sum = [Float](repeating: 0, count: dimensions)
            for (part, weight) in zip(parts, text.weights) {
                for d in 0..<dimensions { sum[d] += weight * part.dense[d] }
            }
            var sparse: SparseVector?
            if let sparseHead, var features = parts.first?.sparse {
                for part in parts.dropFirst() { for j in features.indices { features[j] = max(features[j], part.sparse![j]) } }
                sparse = sparseHead.strongest(features)
            }
            results.append(TextVectors(dense: Self.normalized(sum), sparse: sparse))
            next += text.windows.count
        }
        return results
    }

    /// One window of tokens to embed, with the prefix tokens its sparse vector leaves out.
    private struct Window: Sendable {
        var tokens: [Token]
        var prefixTokens: Int
        var wantsSparse: Bool
    }

    /// A window's pooled (not yet normalised) embedding and, with a sparse head, its pooled
    /// feature activations.
    private struct PooledWindow: Sendable {
        var dense: [Float]
        var sparse: [Float]?
    }

    /// Runs on `thread` only. Packs consecutive inputs into passes, one sequence id per input, and
    /// returns each input's pooled (not yet normalised) embedding.
    private func embedOnThread(_ inputs: [Window]) throws(LlamaError) -> [PooledWindow] {
        let batch = LlamaBatch(capacity: context.batchCapacity)
        var results: [PooledWindow] = []
        results.reserveCapacity(inputs.count)
        var next = 0
        while next < inputs.count {
            batch.clear()
            var packed: [(tokenCount: Int, firstRow: Int)] = []
            while next < inputs.count, packed.count < maxSequences, inputs[next].tokens.count <= batch.remainingCapacity,
                  packed.isEmpty || batch.count + inputs[next].tokens.count <= packedTokensPerPass {
                let firstRow = batch.count
                for (position, token) in inputs[next].tokens.enumerated() {
                    batch.append(token, position: Int32(position), sequence: Int32(packed.count), wantsOutput: true)
                }
                packed.append((inputs[next].tokens.count, firstRow))
                next += 1
            }
            context.clearMemory()
            try context.process(batch)
            logger.debug("embedding pass", metadata: ["texts": "\(packed.count)", "tokens": "\(batch.count)"])
            for (sequence, input) in packed.enumerated() {
                let dense = try pooledEmbedding(sequence: Int32(sequence), tokenCount: input.tokenCount, firstRow: input.firstRow)
                let window = inputs[next - packed.count + sequence]
                results.append(PooledWindow(dense: dense, sparse: try (window.wantsSparse ? sparseHead : nil).map { head throws(LlamaError) in
                    try sparseActivations(head, window: window, firstRow: input.firstRow)
                }))
            }
        }
        return results
    }

    private func pooledEmbedding(sequence: Int32, tokenCount: Int, firstRow: Int) throws(LlamaError) -> [Float] {
        var vector: [Float]
        if pooling == LLAMA_POOLING_TYPE_NONE {
            // The model pools nothing: average its token embeddings ourselves.
            vector = [Float](repeating: 0, count: dimensions)
            for row in firstRow..<(firstRow + tokenCount) {
                guard let values = llama_get_embeddings_ith(context.pointer, Int32(row)) else {
                    throw .embeddingsUnavailable(reason: "no token embedding at row \(row)")
                }
                for d in 0..<dimensions { vector[d] += values[d] }
            }
            let scale = 1 / Float(tokenCount)
            for d in 0..<dimensions { vector[d] *= scale }
        } else {
            guard let values = llama_get_embeddings_seq(context.pointer, sequence) else {
                throw .embeddingsUnavailable(reason: "llama.cpp returned no pooled embedding for sequence \(sequence)")
            }
            vector = Array(UnsafeBufferPointer(start: values, count: dimensions))
        }
        return vector
    }

    /// The sparse head's pooled activations over a window's own tokens (start, end and prefix
    /// tokens left out).
    private func sparseActivations(_ head: SparseHead, window: Window, firstRow: Int) throws(LlamaError) -> [Float] {
        let (start, end) = model.specialTokensAroundInput
        let first = firstRow + start.count + window.prefixTokens
        let count = max(0, window.tokens.count - start.count - end.count - window.prefixTokens)
        var states = [Float](repeating: 0, count: count * dimensions)
        for row in 0..<count {
            guard let values = llama_get_embeddings_ith(context.pointer, Int32(first + row)) else {
                throw .embeddingsUnavailable(reason: "no token embedding at row \(first + row)")
            }
            for d in 0..<dimensions { states[row * dimensions + d] = values[d] }
        }
        return head.activations(states: states, count: count, threads: threads)
    }

    static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return vector }
        return vector.map { $0 / norm }
    }
}
