import ArgumentParser
import Foundation
import LlamaRuntime

struct Smoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Embed a sentence and generate a Portuguese answer with the real models.")

    func run() async throws {
        let embeddingModel = try LlamaModel(path: "models/embeddings/all-MiniLM-L6-v2-f16.gguf")
        let embedder = try Embedder(model: embeddingModel)
        let vectors = try await embedder.embed(["Qual o procedimento para renovação da CNH?"])
        print("embedding: \(vectors[0].count) dimensions")
        let chatModel = try LlamaModel(path: "models/agents/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
        let generator = try Generator(model: chatModel, configuration: .init(parallelSequences: 1, contextPerSequence: 2048))
        let completion = try await generator.complete(
            messages: [.system("Responda em português, em uma frase."), .user("O que é a CNH?")],
            parameters: .greedy(maxTokens: 64))
        print("answer: \(completion.text)")
    }
}
