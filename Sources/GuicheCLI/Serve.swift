import ArgumentParser
import Configuration
import EmbeddingService
import Foundation
import GeneratorService
import Hummingbird
import LlamaRuntime
import Logging
import ServiceClients
import ServiceLifecycle
import RAGCore
import RAGService
import ServiceSupport

/// `guiche serve embedding|generator`: one HTTP service per process, as in the original system.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one of Guichê's HTTP services.",
        subcommands: [ServeAll.self, ServeRAG.self, ServeEmbedding.self, ServeGenerator.self])
}

/// Where and how a service listens.
struct ListenOptions: ParsableArguments {
    @Option(help: "Address to bind (HOST, default 0.0.0.0).")
    var host: String?

    @Option(help: "Port (PORT); defaults to the service's own port.")
    var port: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (LOG_LEVEL, default info).")
    var logLevel: String?

    func validate() throws {
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be within 1...65535, got \(port)") }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level '\(logLevel)' is not a log level") }
    }

    /// Bootstraps logging to standard output and `$LOGS_DIR/<file>` (default `app/logs`), as text
    /// or one JSON object per line (`LOG_FORMAT`).
    func makeLogger(_ config: ConfigReader, label: String, file: String, level: Logger.Level) throws -> Logger {
        let directory = ServiceLogging.directory(config.string(forKey: "logs.dir", default: "app/logs"))
        let formatName = config.string(forKey: "log.format", default: "text")
        guard let format = ServiceLogging.Format(rawValue: formatName) else {
            throw ValidationError("LOG_FORMAT must be 'text' or 'json', got '\(formatName)'")
        }
        return try ServiceLogging.makeLogger(label: label, level: level, file: "\(directory)/\(file)", format: format)
    }

    /// How long a stopping service lets its requests finish before cancelling them
    /// (`SHUTDOWN_GRACE_SECONDS`): under Docker's 10 s between SIGTERM and SIGKILL by default.
    func shutdownGrace(_ config: ConfigReader) throws -> Duration {
        let seconds = try config.number("shutdown.grace.seconds", default: 8)
        guard seconds >= 0, seconds <= 3600 else { throw ValidationError("SHUTDOWN_GRACE_SECONDS must be within 0...3600, got \(seconds)") }
        return .milliseconds(Int((seconds * 1000).rounded()))
    }

    func resolve(_ config: ConfigReader, defaultPort: Int) throws -> (host: String, port: Int, logLevel: Logger.Level) {
        let port = try port ?? config.integer("port", default: defaultPort)
        guard (1...65535).contains(port) else { throw ValidationError("PORT must be within 1...65535, got \(port)") }
        let levelName = logLevel ?? config.string(forKey: "log.level", default: "info")
        guard let level = Logger.Level(rawValue: levelName) else { throw ValidationError("LOG_LEVEL '\(levelName)' is not a log level") }
        return (host ?? config.string(forKey: "host", default: "0.0.0.0"), port, level)
    }
}

struct ServeEmbedding: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedding", abstract: "The embedding service: POST /embed, POST /v1/embeddings (port 8001).", discussion: environmentHelp)

    @OptionGroup var models: ModelOptions
    @OptionGroup var listen: ListenOptions

    @Option(help: "Texts per forward pass; concurrent requests are merged up to it (EMBEDDING_BATCH_SIZE, default 32).")
    var batchSize: Int?

    @Option(help: "Most texts in one request (EMBEDDING_MAX_TEXTS, default 256).")
    var maxTexts: Int?

    func run() async throws {
        let config = try await GuicheConfiguration.load()
        let models = try self.models.resolve(config)
        let grace = try listen.shutdownGrace(config)
        let (host, port, level) = try listen.resolve(config, defaultPort: 8001)
        let batchSize = try batchSize ?? config.integer("embedding.batch.size", default: 32)
        let maxTexts = try maxTexts ?? config.integer("embedding.max.texts", default: 256)
        guard (1...256).contains(batchSize) else { throw ValidationError("EMBEDDING_BATCH_SIZE must be within 1...256, got \(batchSize)") }
        guard maxTexts >= 1 else { throw ValidationError("EMBEDDING_MAX_TEXTS must be at least 1, got \(maxTexts)") }
        let logger = try listen.makeLogger(config, label: "guiche.embedding", file: "embedding-service.log", level: level)
        let policy = config.string(forKey: "embedding.long.inputs", default: "reject")
        guard let longInputs = Embedder.LongInputPolicy(rawValue: policy) else {
            throw ValidationError("EMBEDDING_LONG_INPUTS must be reject or window, got \(policy)")
        }
        let embedder = try models.embedder(
            modelAt: try models.embeddingModelPath(),
            configuration: .init(threads: models.threads, maxSequencesPerPass: batchSize, longInputs: longInputs), logger: logger)
        let model = embedder.model
        let query = config.string(forKey: "embedding.query.prefix")
        let document = config.string(forKey: "embedding.document.prefix")
        let prefixes = query == nil && document == nil ? nil : EmbeddingPrefixes(query: query ?? "", document: document ?? "")
        let settings = EmbeddingServiceSettings(host: host, port: port, batchSize: batchSize, maxTextsPerRequest: maxTexts, prefixes: prefixes)
        logger.info("embedding service starting", metadata: [
            "model": "\(model.path)", "dimensions": "\(embedder.dimensions)", "port": "\(settings.port)",
        ])
        let metrics = ServiceMetrics.bootstrappingMetricsSystem()
        try await Guiche.run(
            try buildEmbeddingApplication(embedder: embedder, settings: settings, metrics: metrics, logger: logger),
            engine: EngineShutdown(embedder.shutdown), grace: grace, logger: logger)
    }
}

struct ServeGenerator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generator", abstract: "The generator service: POST /generate, POST /v1/chat/completions (port 8002).", discussion: environmentHelp)

    @OptionGroup var models: ModelOptions
    @OptionGroup var listen: ListenOptions

    @Option(help: "Requests decoded together (GENERATOR_PARALLEL, default 4).")
    var parallel: Int?

    @Option(help: "Requests that may wait for a sequence before 503 (GENERATOR_QUEUE, default 64).")
    var queue: Int?

    func run() async throws {
        let config = try await GuicheConfiguration.load()
        let models = try self.models.resolve(config)
        let grace = try listen.shutdownGrace(config)
        let (host, port, level) = try listen.resolve(config, defaultPort: 8002)
        let parallel = try parallel ?? config.integer("generator.parallel", default: 4)
        let queue = try queue ?? config.integer("generator.queue", default: 64)
        guard (1...64).contains(parallel) else { throw ValidationError("GENERATOR_PARALLEL must be within 1...64, got \(parallel)") }
        guard queue >= 0 else { throw ValidationError("GENERATOR_QUEUE must be 0 or more, got \(queue)") }
        let logger = try listen.makeLogger(config, label: "guiche.generator", file: "generator-service.log", level: level)
        let model = try LlamaModel(path: try models.chatModelPath(), parameters: models.loadParameters)
        let generator = try Generator(model: model, configuration: models.generatorConfiguration(parallel: parallel, maxQueuedRequests: queue), logger: logger)
        let settings = GeneratorServiceSettings(host: host, port: port)
        logger.info("generator service starting", metadata: [
            "model": "\(model.path)", "parallel": "\(parallel)", "flash_attention": "\(models.generatorFlashAttention)", "context_per_sequence": "\(generator.contextPerSequence)", "port": "\(settings.port)",
        ])
        let metrics = ServiceMetrics.bootstrappingMetricsSystem()
        try await Guiche.run(
            try buildGeneratorApplication(generator: generator, settings: settings, metrics: metrics, logger: logger),
            engine: EngineShutdown(generator.shutdown), grace: grace, logger: logger)
    }
}

extension Guiche {
    /// Runs `application` until SIGINT/SIGTERM, then shuts it down gracefully: the application
    /// first (it stops accepting and lets its requests finish), then the inference engine. Requests
    /// still running after `grace` are cancelled (their generations stop at the next decode step).
    static func run(
        _ application: some ApplicationProtocol, engine: EngineShutdown, also services: [any Service] = [], grace: Duration, logger: Logger
    ) async throws {
        var configuration = ServiceGroupConfiguration(
            services: [engine, application] + services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = grace
        configuration.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
    }
}

/// `guiche serve all`: the embedded default — one process, models in-process, SQLite, the rag API.
struct ServeAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "The all-in-one chatbot: indexes the data folder and serves POST /chat (port 8000).", discussion: environmentHelp)

    @OptionGroup var models: ModelOptions
    @OptionGroup var rag: RAGOptions
    @OptionGroup var listen: ListenOptions

    @Option(help: "Answers generated together (GENERATOR_PARALLEL, default 2).")
    var parallel: Int?

    func run() async throws {
        let config = try await GuicheConfiguration.load()
        let grace = try listen.shutdownGrace(config)
        let (host, port, level) = try listen.resolve(config, defaultPort: 8000)
        let logger = try listen.makeLogger(config, label: "guiche.rag", file: "rag-service.log", level: level)
        let access = try ragAccess(config, host: host, logger: logger)
        let ragSettings = try rag.resolve(config)
        let (models, parallel) = (try models.resolve(config), try parallel ?? config.integer("generator.parallel", default: 2))
        try await ragSettings.withStores(logger: logger) { stores in
            try await serve(Chatbot.make(models: models, rag: ragSettings, store: stores.index, parallel: parallel, logger: logger),
                            conversations: try stores.conversations(), settings: ragSettings, access: access, host: host, port: port,
                            grace: grace, logger: logger)
        }
    }

    private func serve(
        _ chatbot: Chatbot, conversations: any ConversationStore, settings ragSettings: RAGSettings, access: RAGAccess, host: String,
        port: Int, grace: Duration, logger: Logger
    ) async throws {
        try await chatbot.knowledge.load()
        let start = ContinuousClock.now
        if let report = try await startupIngest(chatbot.knowledge, logger: logger) {
            for failure in report.failed { logger.warning("document not indexed", metadata: ["document": "\(failure.path)", "reason": "\(failure.reason)"]) }
            logger.info("index ready", metadata: ["report": "\(describe(report))", "took": "\(ContinuousClock.now - start)", "data": "\(ragSettings.dataDirectory)"])
        }
        let application = try buildRAGApplication(
            knowledge: chatbot.knowledge, embeddingModelName: chatbot.embeddingModel.name, chatModelName: chatbot.chatModel?.name ?? "",
            settings: .init(host: host, port: port), metrics: ServiceMetrics.bootstrappingMetricsSystem(), generator: chatbot.generator,
            access: access, conversations: conversations, logger: logger)
        logger.info("chatbot listening", metadata: ["port": "\(port)"])
        try await Guiche.run(
            application, engine: EngineShutdown { chatbot.generator?.shutdown(); chatbot.embedder.shutdown() },
            also: [IndexRefresher(knowledge: chatbot.knowledge, interval: ragSettings.indexRefresh, logger: logger)], grace: grace, logger: logger)
    }
}

/// `guiche serve rag`: the distributed shape — the rag API over the embedding and generator
/// services (`EMBEDDING_SERVICE_URL`, `GENERATOR_SERVICE_URL`).
struct ServeRAG: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rag", abstract: "The rag service over the embedding and generator services (port 8000).", discussion: environmentHelp)

    @OptionGroup var models: ModelOptions
    @OptionGroup var rag: RAGOptions
    @OptionGroup var listen: ListenOptions

    @Option(help: "Embedding service URL (EMBEDDING_SERVICE_URL, default http://localhost:8001).")
    var embeddingService: String?

    @Option(help: "Generator service URL (GENERATOR_SERVICE_URL, default http://localhost:8002).")
    var generatorService: String?

    func run() async throws {
        let config = try await GuicheConfiguration.load()
        let grace = try listen.shutdownGrace(config)
        let (host, port, level) = try listen.resolve(config, defaultPort: 8000)
        let logger = try listen.makeLogger(config, label: "guiche.rag", file: "rag-service.log", level: level)
        let access = try ragAccess(config, host: host, logger: logger)
        let settings = try rag.resolve(config)
        let modelSettings = try models.resolve(config)
        let embeddingURL = embeddingService ?? config.string(forKey: "embedding.service.url", default: "http://localhost:8001")
        let generatorURL = generatorService ?? config.string(forKey: "generator.service.url", default: "http://localhost:8002")
        // The embedding model's tokenizer, when its file is here too, makes chunk sizes exact.
        let tokenizer = try? LlamaModel(path: try modelSettings.embeddingModelPath(), parameters: .init(vocabularyOnly: true))
        if tokenizer == nil { logger.warning("embedding model file not found here: chunk sizes are estimated") }
        // Built first so that a malformed GENERATOR_SERVICE_URL is refused before waiting for the embedding service.
        let http = makeModelServicesHTTPClient(questions: access.maxPendingQuestions)
        let generation = try RemoteGeneration(baseURL: generatorURL, client: http, logger: logger)
        let embedding = try await RemoteEmbedding.connect(baseURL: embeddingURL, tokenizer: tokenizer, client: http, logger: logger)
        try await settings.withStores(logger: logger) { stores in
            let knowledge = try settings.knowledgeBase(store: stores.index, embedding: embedding, generation: generation, logger: logger)
            try await knowledge.load()
            if let report = try await startupIngest(knowledge, logger: logger) {
                logger.info("index ready", metadata: ["report": "\(describe(report))"])
            }
            let application = try buildRAGApplication(
                knowledge: knowledge, embeddingModelName: embedding.fingerprint.name, chatModelName: generatorURL,
                settings: .init(host: host, port: port), metrics: ServiceMetrics.bootstrappingMetricsSystem(),
                dependencies: {
                    async let embeddingUp = embedding.isReachable()
                    async let generatorUp = generation.isReachable()
                    return ["embedding": await embeddingUp, "generator": await generatorUp]
                },
                access: access, conversations: try stores.conversations(), logger: logger)
            try await Guiche.run(
                application, engine: EngineShutdown {},
                also: [IndexRefresher(knowledge: knowledge, interval: settings.indexRefresh, logger: logger)], grace: grace, logger: logger)
        }
    }
}

/// Who may call the rag service and how much: `API_KEYS`/`API_KEYS_FILE`, `ADMIN_OPEN`,
/// `CORS_ALLOWED_ORIGINS`, `MAX_PENDING_QUESTIONS`, `MAX_QUESTION_WAIT_SECONDS`, `RATE_LIMIT_PER_MINUTE`.
func ragAccess(_ config: ConfigReader, host: String, logger: Logger) throws -> RAGAccess {
    func parse(_ text: String, from variable: String) throws -> APIKeys {
        do {
            return try APIKeys.parse(text)
        } catch {
            throw ValidationError("\(variable) must be \(error)")
        }
    }
    var keys = try parse(config.string(forKey: "api.keys") ?? "", from: "API_KEYS")
    if let path = config.string(forKey: "api.keys.file") {
        guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("API_KEYS_FILE must be a readable file, got '\(path)'")
        }
        keys = keys.merging(try parse(contents, from: "API_KEYS_FILE"))
    }
    let loopbackOnly = ["127.0.0.1", "::1", "localhost"].contains(host)
    let adminOpen = try config.boolean("admin.open", default: false)
    if !keys.isEmpty {
        logger.info("API keys required", metadata: ["keys": "\(keys.count)"])
    } else if !loopbackOnly {
        logger.warning(
            adminOpen
                ? "no API keys (API_KEYS) and ADMIN_OPEN=true: every route, /ingest included, is open to whoever reaches this service"
                : "no API keys (API_KEYS): questions are open; admin routes (/ingest, /documents, /metrics) answer this machine only",
            metadata: ["host": "\(host)"])
    }
    let pending = try config.integer("max.pending.questions", default: 64)
    guard pending >= 1 else { throw ValidationError("MAX_PENDING_QUESTIONS must be at least 1, got \(pending)") }
    let maxWait = try config.number("max.question.wait.seconds", default: 30)
    guard maxWait >= 1, maxWait <= 3600 else { throw ValidationError("MAX_QUESTION_WAIT_SECONDS must be within 1...3600, got \(maxWait)") }
    let perMinute = try config.integer("rate.limit.per.minute", default: 0)
    guard perMinute >= 0 else { throw ValidationError("RATE_LIMIT_PER_MINUTE must be 0 (no limit) or more, got \(perMinute)") }
    return RAGAccess(
        keys: keys, adminOpenWithoutKeys: loopbackOnly || adminOpen, allowedOrigins: allowedOrigins(config),
        maxPendingQuestions: pending, maxQuestionWait: .milliseconds(Int(maxWait * 1000)), questionsPerMinute: perMinute)
}

/// `CORS_ALLOWED_ORIGINS`: web origins, comma-separated, that may call the rag service from a browser.
func allowedOrigins(_ config: ConfigReader) -> [String] {
    (config.string(forKey: "cors.allowed.origins") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
}

/// The sync at startup; when it refuses (a missing data folder, most documents gone) the service
/// answers from the index it has, and says so.
func startupIngest(_ knowledge: KnowledgeBase, logger: Logger) async throws -> IngestReport? {
    do {
        return try await knowledge.ingest()
    } catch let refusal as IngestRefusal {
        let documents = try await knowledge.documents().count
        logger.warning("startup sync refused: serving the existing index", metadata: ["reason": "\(refusal)", "documents": "\(documents)"])
        return nil
    }
}
