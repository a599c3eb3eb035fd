import ArgumentParser
import EmbeddingService
import Foundation
import GeneratorService
import Hummingbird
import LlamaRuntime
import Logging
import ServiceLifecycle
import ServiceSupport

private let environment = ProcessInfo.processInfo.environment

/// `guiche serve embedding|generator`: one HTTP service per process, as in the original system.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one of Guichê's HTTP services.",
        subcommands: [ServeEmbedding.self, ServeGenerator.self])
}

/// Where and how a service listens.
struct ListenOptions: ParsableArguments {
    @Option(help: "Address to bind.")
    var host: String = environment["HOST"] ?? "0.0.0.0"

    @Option(help: "Port (PORT); defaults to the service's own port.")
    var port: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (LOG_LEVEL).")
    var logLevel: String = environment["LOG_LEVEL"] ?? "info"

    func validate() throws {
        if let port, !(1...65535).contains(port) { throw ValidationError("--port (PORT) must be within 1...65535, got \(port)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level (LOG_LEVEL) '\(logLevel)' is not a log level") }
    }

    func port(default value: Int) -> Int {
        port ?? Int(environment["PORT"] ?? "") ?? value
    }

    func makeLogger(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}

struct ServeEmbedding: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedding", abstract: "The embedding service: POST /embed, POST /v1/embeddings (port 8001).")

    @OptionGroup var models: ModelOptions
    @OptionGroup var listen: ListenOptions

    @Option(help: "Texts per forward pass; concurrent requests are merged up to it (EMBEDDING_BATCH_SIZE).")
    var batchSize: Int = Int(environment["EMBEDDING_BATCH_SIZE"] ?? "") ?? 32

    @Option(help: "Most texts in one request (EMBEDDING_MAX_TEXTS).")
    var maxTexts: Int = Int(environment["EMBEDDING_MAX_TEXTS"] ?? "") ?? 256

    func validate() throws {
        guard (1...256).contains(batchSize) else { throw ValidationError("--batch-size (EMBEDDING_BATCH_SIZE) must be within 1...256, got \(batchSize)") }
        guard maxTexts >= 1 else { throw ValidationError("--max-texts must be at least 1") }
    }

    func run() async throws {
        let logger = listen.makeLogger(label: "guiche.embedding")
        let model = try LlamaModel(path: try models.embeddingModelPath(), parameters: models.loadParameters)
        let embedder = try Embedder(
            model: model, configuration: .init(threads: models.threads, maxSequencesPerPass: batchSize), logger: logger)
        let settings = EmbeddingServiceSettings(host: listen.host, port: listen.port(default: 8001), batchSize: batchSize, maxTextsPerRequest: maxTexts)
        logger.info("embedding service starting", metadata: [
            "model": "\(model.path)", "dimensions": "\(embedder.dimensions)", "port": "\(settings.port)",
        ])
        try await Guiche.run(try buildEmbeddingApplication(embedder: embedder, settings: settings, logger: logger), logger: logger)
    }
}

struct ServeGenerator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generator", abstract: "The generator service: POST /generate, POST /v1/chat/completions (port 8002).")

    @OptionGroup var models: ModelOptions
    @OptionGroup var listen: ListenOptions

    @Option(help: "Requests decoded together (GENERATOR_PARALLEL).")
    var parallel: Int = Int(environment["GENERATOR_PARALLEL"] ?? "") ?? 4

    @Option(help: "Requests that may wait for a sequence before 503 (GENERATOR_QUEUE).")
    var queue: Int = Int(environment["GENERATOR_QUEUE"] ?? "") ?? 64

    func validate() throws {
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel (GENERATOR_PARALLEL) must be within 1...64, got \(parallel)") }
        guard queue >= 0 else { throw ValidationError("--queue (GENERATOR_QUEUE) must be 0 or more") }
    }

    func run() async throws {
        let logger = listen.makeLogger(label: "guiche.generator")
        let model = try LlamaModel(path: try models.chatModelPath(), parameters: models.loadParameters)
        let generator = try Generator(model: model, configuration: .init(
            parallelSequences: parallel, contextPerSequence: models.maxContextLength, threads: models.threads,
            maxQueuedRequests: queue), logger: logger)
        let settings = GeneratorServiceSettings(host: listen.host, port: listen.port(default: 8002))
        logger.info("generator service starting", metadata: [
            "model": "\(model.path)", "parallel": "\(parallel)", "context_per_sequence": "\(generator.contextPerSequence)", "port": "\(settings.port)",
        ])
        try await Guiche.run(try buildGeneratorApplication(generator: generator, settings: settings, logger: logger), logger: logger)
    }
}

extension Guiche {
    /// Runs `application` until SIGINT/SIGTERM, then shuts it down gracefully.
    static func run(_ application: some ApplicationProtocol, logger: Logger) async throws {
        let group = ServiceGroup(configuration: .init(
            services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
