import ArgumentParser
import Configuration
import Foundation
import LlamaRuntime
import Logging

/// Guichê's configuration: command-line options first, then environment variables, then a `.env`
/// file in the working directory, then defaults. Keys are the original system's variables
/// (`n.threads` is `N_THREADS`, `embedding.model.name` is `EMBEDDING_MODEL_NAME`, …).
enum GuicheConfiguration {
    static func load(environmentFile: String = ".env") async throws -> ConfigReader {
        ConfigReader(providers: [
            EnvironmentVariablesProvider(),
            try await EnvironmentVariablesProvider(environmentFilePath: .init(environmentFile), allowMissing: true),
        ])
    }
}

/// The models and how to run them.
struct ModelOptions: ParsableArguments {
    @Option(help: "Embedding model: a path, or a name looked up as models/embeddings/*NAME*.gguf (EMBEDDING_MODEL_NAME, default multilingual-e5-small-pt).")
    var embeddingModel: String?

    @Option(help: "Chat model: a path, or a name looked up as models/agents/*NAME*.gguf (AGENT_MODEL_NAME, default qwen2.5-coder-0.5b-instruct).")
    var chatModel: String?

    @Option(help: "Folder holding models/embeddings and models/agents (MODELS_DIR, default models).")
    var modelsDirectory: String?

    @Option(help: "CPU threads (N_THREADS, default min(4, cores)).")
    var threads: Int?

    @Option(help: "Layers offloaded to the GPU, -1 for all (N_GPU_LAYERS, default 0).")
    var gpuLayers: Int32?

    @Option(help: "Context tokens per conversation (MAX_CONTEXT_LENGTH, default 4096).")
    var maxContextLength: Int?

    @Option(help: "llama.cpp's flash attention for the chat model: faster prompts, but a greedy answer may then change with concurrent requests or a cached prefix (GENERATOR_FLASH_ATTENTION, default false).")
    var generatorFlashAttention: Bool?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let gpuLayers, gpuLayers < -1 { throw ValidationError("--gpu-layers must be -1 or more, got \(gpuLayers)") }
        if let maxContextLength, maxContextLength < 64 { throw ValidationError("--max-context-length must be at least 64, got \(maxContextLength)") }
    }

    /// The options merged with `config`, checked.
    func resolve(_ config: ConfigReader) throws -> ModelSettings {
        let settings = ModelSettings(
            embeddingModel: embeddingModel ?? config.string(forKey: "embedding.model.name", default: DefaultModels.embedding),
            sparseHead: config.string(forKey: "sparse.head", default: "auto"),
            chatModel: chatModel ?? config.string(forKey: "agent.model.name", default: DefaultModels.chat),
            modelsDirectory: modelsDirectory ?? config.string(forKey: "models.dir", default: "models"),
            threads: try threads ?? config.integer("n.threads", default: min(4, ProcessInfo.processInfo.activeProcessorCount)),
            gpuLayers: try gpuLayers ?? Int32(clamping: config.integer("n.gpu.layers", default: 0)),
            maxContextLength: try maxContextLength ?? config.integer("max.context.length", default: 4096),
            generatorFlashAttention: try generatorFlashAttention ?? config.boolean("generator.flash.attention", default: false))
        guard settings.threads >= 1 else { throw ValidationError("N_THREADS must be at least 1, got \(settings.threads)") }
        guard settings.gpuLayers >= -1 else { throw ValidationError("N_GPU_LAYERS must be -1 or more, got \(settings.gpuLayers)") }
        guard settings.maxContextLength >= 64 else { throw ValidationError("MAX_CONTEXT_LENGTH must be at least 64, got \(settings.maxContextLength)") }
        return settings
    }
}

/// Resolved model settings.
struct ModelSettings {
    var embeddingModel: String
    /// `SPARSE_HEAD`: `auto` (the embedding model's `.sae.bin` beside its GGUF, when there), `off`,
    /// or the path of a sparse head file.
    var sparseHead: String
    var chatModel: String
    var modelsDirectory: String
    var threads: Int
    var gpuLayers: Int32
    var maxContextLength: Int
    /// Flash attention in the chat model's context (`Generator.Configuration.flashAttention`).
    var generatorFlashAttention: Bool

    func embeddingModelPath() throws -> String {
        try ModelLocator.resolve(embeddingModel, in: "\(modelsDirectory)/embeddings")
    }

    /// The embedder of the embedding model at `path` (loaded with `embeddingLoadParameters`), with
    /// its sparse head as `SPARSE_HEAD` says.
    func embedder(modelAt path: String, configuration: Embedder.Configuration, logger: Logger) throws -> Embedder {
        let model = try LlamaModel(path: path, parameters: embeddingLoadParameters)
        let head: SparseHead?
        do {
            switch sparseHead {
            case "off": head = nil
            case "auto": head = try SparseHead.beside(modelAt: path)
            default: head = try SparseHead(contentsOf: sparseHead)
            }
        } catch {
            throw ValidationError("SPARSE_HEAD: \(error) (auto, off, or the path of a sparse head file)")
        }
        logger.info("embedding model", metadata: ["model": "\(path)", "sparse_head": "\(head.map { "\($0.features) features" } ?? "none")"])
        return try Embedder(model: model, configuration: configuration, sparseHead: head, logger: logger)
    }

    func chatModelPath() throws -> String {
        try ModelLocator.resolve(chatModel, in: "\(modelsDirectory)/agents")
    }

    /// Chat models load without weight repacking (greedy answers stay independent of batching).
    var loadParameters: LlamaModel.Parameters { .init(gpuLayers: gpuLayers) }

    /// The chat model's generator with `parallel` sequences.
    func generatorConfiguration(parallel: Int, maxQueuedRequests: Int = 64) -> Generator.Configuration {
        .init(parallelSequences: parallel, contextPerSequence: maxContextLength, threads: threads, maxQueuedRequests: maxQueuedRequests,
              flashAttention: generatorFlashAttention)
    }

    /// Embedding models load with llama.cpp's CPU weight repacking: much faster quantized matmuls,
    /// and vectors still match across batch compositions (cosine ≥ 0.9999, tested).
    var embeddingLoadParameters: LlamaModel.Parameters { .init(gpuLayers: gpuLayers, repackWeights: true) }
}
