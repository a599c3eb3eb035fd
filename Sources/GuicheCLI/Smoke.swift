import ArgumentParser
import Foundation
import LlamaRuntime

/// Checks the installation end to end: embeds a question and generates a Portuguese answer.
struct Smoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Embed a question and generate a Portuguese answer with the real models.")

    @OptionGroup var models: ModelOptions

    @Option(help: "The question to embed and answer.")
    var question = "Qual o procedimento para renovação da CNH?"

    func run() async throws {
        let models = try self.models.resolve(try await GuicheConfiguration.load())
        let embeddingModel = try LlamaModel(path: try models.embeddingModelPath(), parameters: models.embeddingLoadParameters)
        let embedder = try Embedder(model: embeddingModel, configuration: .init(threads: models.threads))
        let vector = try await embedder.embed([embeddingModel.embeddingPrefixes.query + question])[0]
        write("embedding model: \(embeddingModel.name) (\(URL(fileURLWithPath: embeddingModel.path).lastPathComponent))")
        write("embedding size: \(vector.count)")

        let chatModel = try LlamaModel(path: try models.chatModelPath(), parameters: models.loadParameters)
        let generator = try Generator(model: chatModel, configuration: models.generatorConfiguration(parallel: 1))
        write("chat model: \(chatModel.name) (\(URL(fileURLWithPath: chatModel.path).lastPathComponent))")
        write("question: \(question)")
        write("answer: ", terminator: "")
        let messages: [ChatMessage] = [
            .system("Você é o assistente de uma autoescola. Responda em português do Brasil, em uma ou duas frases."),
            .user(question),
        ]
        for try await event in try generator.stream(messages: messages, parameters: .greedy(maxTokens: 96)) {
            switch event {
            case .text(let piece):
                write(piece, terminator: "")
            case .finished(let summary):
                write("\n(\(summary.usage.promptTokens) prompt tokens, \(summary.usage.completionTokens) generated, finish: \(summary.finishReason.rawValue))")
            }
        }
    }
}

/// Unbuffered standard output, so streamed pieces appear as they are generated.
private func write(_ text: String, terminator: String = "\n") {
    FileHandle.standardOutput.write(Data((text + terminator).utf8))
}
