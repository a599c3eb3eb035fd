import ArgumentParser
import Foundation
import LlamaRuntime

private let environment = ProcessInfo.processInfo.environment

/// The models and how to run them; defaults come from the original system's environment variables.
struct ModelOptions: ParsableArguments {
    @Option(help: "Embedding model: a path, or a name looked up as models/embeddings/*NAME*.gguf (EMBEDDING_MODEL_NAME).")
    var embeddingModel: String = environment["EMBEDDING_MODEL_NAME"] ?? "all-MiniLM-L6-v2"

    @Option(help: "Chat model: a path, or a name looked up as models/agents/*NAME*.gguf (AGENT_MODEL_NAME).")
    var chatModel: String = environment["AGENT_MODEL_NAME"] ?? "qwen2.5-coder-0.5b-instruct"

    @Option(help: "Folder holding the models/embeddings and models/agents folders.")
    var modelsDirectory: String = environment["MODELS_DIR"] ?? "models"

    @Option(help: "CPU threads (N_THREADS).")
    var threads: Int = Int(environment["N_THREADS"] ?? "") ?? min(4, ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: "Layers offloaded to the GPU, -1 for all (N_GPU_LAYERS).")
    var gpuLayers: Int32 = Int32(environment["N_GPU_LAYERS"] ?? "") ?? 0

    @Option(help: "Context tokens per conversation (MAX_CONTEXT_LENGTH).")
    var maxContextLength: Int = Int(environment["MAX_CONTEXT_LENGTH"] ?? "") ?? 4096

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads (N_THREADS) must be at least 1, got \(threads)") }
        guard gpuLayers >= -1 else { throw ValidationError("--gpu-layers (N_GPU_LAYERS) must be -1 or more, got \(gpuLayers)") }
        guard maxContextLength >= 64 else { throw ValidationError("--max-context-length (MAX_CONTEXT_LENGTH) must be at least 64, got \(maxContextLength)") }
    }

    func embeddingModelPath() throws -> String {
        try ModelLocator.resolve(embeddingModel, in: "\(modelsDirectory)/embeddings")
    }

    func chatModelPath() throws -> String {
        try ModelLocator.resolve(chatModel, in: "\(modelsDirectory)/agents")
    }

    var loadParameters: LlamaModel.Parameters { .init(gpuLayers: gpuLayers) }
}
