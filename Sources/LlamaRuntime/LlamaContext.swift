import CLlama

/// An inference context (KV cache, compute buffers) over a model. Not thread-safe: its owner
/// (`Embedder`, `Generator`) touches it only from its `InferenceThread`. Frees it on deinit.
final class LlamaContext: @unchecked Sendable {
    let pointer: OpaquePointer
    let model: LlamaModel

    init(model: LlamaModel, parameters: llama_context_params) throws(LlamaError) {
        guard let context = llama_init_from_model(model.pointer, parameters) else {
            throw .contextCreationFailed(reason: "llama_init_from_model returned null (n_ctx \(parameters.n_ctx), n_seq_max \(parameters.n_seq_max))")
        }
        self.pointer = context
        self.model = model
    }

    deinit {
        llama_free(pointer)
    }

    /// Checks the settings every context shares: sequence count within llama.cpp's limit, threads.
    static func validate(sequences: Int, named name: String, threads: Int) throws(LlamaError) {
        let limit = Int(llama_max_parallel_sequences())
        guard (1...limit).contains(sequences) else {
            throw .invalidConfiguration("\(name) must be within 1...\(limit), got \(sequences)")
        }
        guard threads >= 1 else { throw .invalidConfiguration("threads must be at least 1, got \(threads)") }
    }

    var contextLength: Int { Int(llama_n_ctx(pointer)) }
    var contextPerSequence: Int { Int(llama_n_ctx_seq(pointer)) }
    var batchCapacity: Int { Int(llama_n_batch(pointer)) }
    var maxSequences: Int { Int(llama_n_seq_max(pointer)) }
    var memory: llama_memory_t? { llama_get_memory(pointer) }

    /// Runs the model over `batch`: the decoder with its KV cache when the context has one,
    /// the encoder otherwise (BERT-style embedding models).
    func process(_ batch: LlamaBatch) throws(LlamaError) {
        let code = memory == nil ? llama_encode(pointer, batch.raw) : llama_decode(pointer, batch.raw)
        if let error = LlamaError.decode(code: code) { throw error }
    }

    /// Drops every cached cell of `sequence` from `position` on (all of it for position 0).
    @discardableResult
    func removeCells(of sequence: Int32, from position: Int32 = 0) -> Bool {
        guard let memory else { return true }
        return llama_memory_seq_rm(memory, sequence, position, -1)
    }

    /// Makes `destination`'s cells a copy of all of `source`'s (with a KV cache per sequence,
    /// llama.cpp copies the buffer before the next decode).
    func copyCells(from source: Int32, to destination: Int32) {
        guard let memory else { return }
        llama_memory_seq_rm(memory, destination, -1, -1)
        llama_memory_seq_cp(memory, source, destination, -1, -1)
    }

    /// Highest position cached for `sequence`, or -1 when it holds nothing.
    func lastCachedPosition(of sequence: Int32) -> Int32 {
        guard let memory else { return -1 }
        return llama_memory_seq_pos_max(memory, sequence)
    }

    func clearMemory() {
        if let memory { llama_memory_clear(memory, true) }
    }
}

/// A token batch allocated by llama.cpp, freed on deinit. Each token belongs to one sequence.
final class LlamaBatch {
    private(set) var raw: llama_batch
    let capacity: Int

    init(capacity: Int) {
        self.raw = llama_batch_init(Int32(capacity), 0, 1)
        self.capacity = capacity
    }

    deinit {
        llama_batch_free(raw)
    }

    var count: Int { Int(raw.n_tokens) }
    var isEmpty: Bool { raw.n_tokens == 0 }
    var remainingCapacity: Int { capacity - count }

    func clear() {
        raw.n_tokens = 0
    }

    /// Appends a token; returns its index in the batch (where its logits/embedding will be).
    @discardableResult
    func append(_ token: Token, position: Int32, sequence: Int32, wantsOutput: Bool) -> Int32 {
        precondition(count < capacity, "LlamaBatch overflow")
        let index = Int(raw.n_tokens)
        raw.token[index] = token
        raw.pos[index] = position
        raw.n_seq_id[index] = 1
        raw.seq_id[index]![0] = sequence
        raw.logits[index] = wantsOutput ? 1 : 0
        raw.n_tokens += 1
        return Int32(index)
    }
}
