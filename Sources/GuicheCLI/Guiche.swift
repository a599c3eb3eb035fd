import ArgumentParser

@main
struct Guiche: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guiche",
        abstract: "Guichê — a self-hosted RAG chatbot over llama.cpp.",
        subcommands: [Serve.self, Ingest.self, Ask.self, Eval.self, Smoke.self, Health.self, Key.self])
}
