import CLlama
import Foundation

/// A token id of the model's vocabulary.
public typealias Token = Int32

/// A loaded GGUF model: weights plus vocabulary. Immutable after loading, so one instance is shared
/// by every context (embedder, generator) that uses it. Frees the llama.cpp model on deinit.
public final class LlamaModel: @unchecked Sendable {
    /// How to load a model.
    public struct Parameters: Sendable {
        /// Layers offloaded to the GPU (`N_GPU_LAYERS`); 0 keeps everything on the CPU, -1 offloads all.
        public var gpuLayers: Int32
        /// Map the file instead of reading it (lets several processes share the pages).
        public var memoryMap: Bool

        /// Let llama.cpp repack weights into CPU-specific layouts (faster prompt processing, but a
        /// token's logits then depend slightly on how many tokens share its batch).
        public var repackWeights: Bool
        /// Load only the tokenizer (counting tokens without the weights' memory).
        public var vocabularyOnly: Bool

        public init(gpuLayers: Int32 = 0, memoryMap: Bool = true, repackWeights: Bool = false, vocabularyOnly: Bool = false) {
            self.gpuLayers = gpuLayers
            self.memoryMap = memoryMap
            self.repackWeights = repackWeights
            self.vocabularyOnly = vocabularyOnly
        }
    }

    let pointer: OpaquePointer
    let vocab: OpaquePointer
    /// The file the model was loaded from.
    public let path: String

    /// Loads `path`, checking first that the file exists so the error names it.
    public init(path: String, parameters: Parameters = .init()) throws(LlamaError) {
        LlamaBackend.initialize()
        LlamaBackend.applyEnvironmentLogLevel()
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .modelFileNotFound(path: path)
        }
        var params = llama_model_default_params()
        params.n_gpu_layers = parameters.gpuLayers
        params.load_mode = parameters.memoryMap ? LLAMA_LOAD_MODE_MMAP : LLAMA_LOAD_MODE_NONE
        params.use_extra_bufts = parameters.repackWeights
        params.vocab_only = parameters.vocabularyOnly
        guard let model = llama_model_load_from_file(path, params) else {
            throw .modelLoadFailed(path: path)
        }
        guard let vocab = llama_model_get_vocab(model) else {
            llama_model_free(model)
            throw .modelLoadFailed(path: path)
        }
        self.pointer = model
        self.vocab = vocab
        self.path = path
    }

    deinit {
        llama_model_free(pointer)
    }

    /// The context length the model was trained with.
    public var trainedContextLength: Int { Int(llama_model_n_ctx_train(pointer)) }
    /// Width of the model's hidden state (the embedding dimension for embedding models).
    public var embeddingDimensions: Int { Int(llama_model_n_embd_out(pointer)) }
    /// Number of tokens in the vocabulary.
    public var vocabularySize: Int { Int(llama_vocab_n_tokens(vocab)) }
    /// Size of the weights in bytes.
    public var sizeInBytes: UInt64 { llama_model_size(pointer) }
    /// Number of parameters.
    public var parameterCount: UInt64 { llama_model_n_params(pointer) }
    /// Whether the model generates text: it has a decoder with causal attention (BERT-style
    /// encoders declare `<arch>.attention.causal = false`).
    public var isGenerative: Bool {
        guard llama_model_has_decoder(pointer) else { return false }
        return metadata("\(architecture).attention.causal") != "false"
    }

    /// The GGUF's `general.architecture` (`qwen2`, `bert`, …).
    public var architecture: String { metadata("general.architecture") ?? "" }

    /// llama.cpp's one-line description (architecture, size, quantization).
    public var summary: String {
        var buffer = [CChar](repeating: 0, count: 256)
        let written = llama_model_desc(pointer, &buffer, buffer.count)
        return written > 0 ? String(decoding: buffer.prefix(Int(written)).map(UInt8.init(bitPattern:)), as: UTF8.self) : ""
    }

    /// A metadata value of the GGUF (e.g. `general.name`), or nil when absent.
    public func metadata(_ key: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 512)
        var written = llama_model_meta_val_str(pointer, key, &buffer, buffer.count)
        if written < 0 { return nil }
        if Int(written) >= buffer.count {
            buffer = [CChar](repeating: 0, count: Int(written) + 1)
            written = llama_model_meta_val_str(pointer, key, &buffer, buffer.count)
        }
        return String(decoding: buffer.prefix(Int(written)).map(UInt8.init(bitPattern:)), as: UTF8.self)
    }

    /// The model's name from its metadata, falling back to the file name.
    public var name: String {
        metadata("general.name") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }

    /// The prefixes an embedding model was trained with for queries and documents (e5: "query: "
    /// and "passage: "), from the GGUF keys `guiche.embedding.query_prefix` and
    /// `guiche.embedding.document_prefix` that Guichê's converters write; empty when absent.
    public var embeddingPrefixes: (query: String, document: String) {
        (metadata("guiche.embedding.query_prefix") ?? "", metadata("guiche.embedding.document_prefix") ?? "")
    }

    /// Identifies the model file's contents cheaply: its size and an FNV-1a hash of its first and
    /// last MiB (a different model, or re-quantized weights, changes it).
    public var fileFingerprint: String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "unreadable" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: 0)
        var data = (try? handle.read(upToCount: 1 << 20)) ?? Data()
        if size > 2 << 20 {
            try? handle.seek(toOffset: size - (1 << 20))
            data += (try? handle.read(upToCount: 1 << 20)) ?? Data()
        }
        return "\(size)-" + Self.fnv1a(data)
    }

    /// A file's contents identified: their size and FNV-1a hash (what `fileFingerprint` gives for
    /// a file under 2 MiB).
    static func fingerprint(of data: Data) -> String {
        "\(data.count)-" + fnv1a(data)
    }

    private static func fnv1a(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The pooling the model was trained with (mean for sentence-transformers models).
    public var poolingType: llama_pooling_type {
        guard let value = metadata("\(architecture).pooling_type"), let raw = Int32(value) else {
            return LLAMA_POOLING_TYPE_UNSPECIFIED
        }
        return llama_pooling_type(rawValue: raw)
    }
}
