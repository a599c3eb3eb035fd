import ArgumentParser
import Configuration
import Foundation
import LlamaRuntime
import Logging
import PostgresStore
#if canImport(Glibc)
import Glibc
#endif
import RAGCore

/// Where the documents and the index are, and how they are chunked and searched.
struct RAGOptions: ParsableArguments {
    @Option(help: "Folder of documents to index (DATA_DIR, default data).")
    var dataDirectory: String?

    @Option(help: "Folder of the index databases (RAG_DB_DIR, default .rag_db).")
    var databaseDirectory: String?

    @Option(help: "Collection name: one database per collection (COLLECTION_NAME, default documentos).")
    var collection: String?

    @Option(help: "Chunk size in embedding-model tokens (CHUNK_SIZE, default 300).")
    var chunkSize: Int?

    @Option(help: "Tokens repeated between consecutive chunks of one unit (CHUNK_OVERLAP, default 50).")
    var chunkOverlap: Int?

    @Option(help: "Sources given to the model (TOP_K_RESULTS, default 4).")
    var topK: Int?

    /// The options merged with `config`.
    func resolve(_ config: ConfigReader) throws -> RAGSettings {
        let settings = RAGSettings(
            dataDirectory: dataDirectory ?? config.string(forKey: "data.dir", default: "data"),
            databaseDirectory: databaseDirectory ?? config.string(forKey: "rag.db.dir", default: ".rag_db"),
            collection: collection ?? config.string(forKey: "collection.name", default: "documentos"),
            chunkSize: try chunkSize ?? config.integer("chunk.size", default: 300),
            chunkOverlap: try chunkOverlap ?? config.integer("chunk.overlap", default: 50),
            batchSize: try config.integer("embedding.batch.size", default: 32),
            maxRemovedShare: try config.number("ingest.max.removed.share", default: 0.5),
            topK: try topK ?? config.integer("top.k.results", default: 4),
            refusalThreshold: try config.number("refusal.threshold").map(Float.init),
            answerMode: config.string(forKey: "answer.mode", default: "extrativa"),
            systemPrompt: config.string(forKey: "system.prompt", default: Answerer.defaultSystemPrompt),
            maxAnswerTokens: try config.integer("max.answer.tokens", default: 160),
            indexRefresh: .milliseconds(Int(try config.number("index.refresh.seconds", default: 5) * 1000)),
            databaseURL: try config.string(forKey: "database.url").flatMap { $0.isEmpty ? nil : $0 }.map { text in
                do { return try DatabaseURL(text) } catch let error as DatabaseURL.Invalid { throw ValidationError(error.description) }
            })
        guard settings.indexRefresh >= .milliseconds(100), settings.indexRefresh <= .seconds(3600) else {
            throw ValidationError("INDEX_REFRESH_SECONDS must be within 0.1...3600, got \(settings.indexRefresh)")
        }
        guard ["gerada", "extrativa"].contains(settings.answerMode) else {
            throw ValidationError("ANSWER_MODE must be 'gerada' or 'extrativa', got '\(settings.answerMode)'")
        }
        if let threshold = settings.refusalThreshold, !(0...1).contains(threshold) {
            throw ValidationError("REFUSAL_THRESHOLD must be within 0...1, got \(threshold)")
        }
        guard (16...4096).contains(settings.maxAnswerTokens) else {
            throw ValidationError("MAX_ANSWER_TOKENS must be within 16...4096, got \(settings.maxAnswerTokens)")
        }
        guard settings.chunkSize >= 32 else { throw ValidationError("CHUNK_SIZE must be at least 32 tokens, got \(settings.chunkSize)") }
        guard (0..<settings.chunkSize / 2).contains(settings.chunkOverlap) else {
            throw ValidationError("CHUNK_OVERLAP must be within 0..<CHUNK_SIZE/2, got \(settings.chunkOverlap)")
        }
        guard (1...20).contains(settings.topK) else { throw ValidationError("TOP_K_RESULTS must be within 1...20, got \(settings.topK)") }
        guard (1...256).contains(settings.batchSize) else { throw ValidationError("EMBEDDING_BATCH_SIZE must be within 1...256") }
        guard (0...1).contains(settings.maxRemovedShare) else {
            throw ValidationError("INGEST_MAX_REMOVED_SHARE must be within 0...1, got \(settings.maxRemovedShare)")
        }
        return settings
    }
}

struct RAGSettings {
    /// The collection's knowledge base over `store`, `embedding` and `generation` (in-process or
    /// remote): the folder sync, the retriever, the answerer.
    func knowledgeBase(store: any IndexStore, embedding: any TextEmbedding, generation: any TextGeneration, logger: Logger) throws -> KnowledgeBase {
        let indexer = Indexer(
            dataDirectory: URL(fileURLWithPath: dataDirectory), store: store, embedding: embedding,
            chunkSize: chunkSize, chunkOverlap: chunkOverlap, batchSize: batchSize, maxRemovedShare: maxRemovedShare, logger: logger)
        return KnowledgeBase(
            store: store, embedding: embedding, generation: generation, indexer: indexer, vocabulary: try vocabulary(),
            settings: .init(
                systemPrompt: systemPrompt, topK: topK, refusalThreshold: refusalThreshold, extractiveOnly: answerMode == "extrativa",
                sampling: .greedy(maxTokens: maxAnswerTokens)))
    }

    /// The collection's own vocabulary file (`.rag_db/<COLLECTION_NAME>.vocabulario.txt`, optional).
    var vocabularyPath: String {
        (SQLiteIndexStore.path(directory: databaseDirectory, collection: collection) as NSString).deletingPathExtension + ".vocabulario.txt"
    }

    /// The built-in vocabulary plus the collection's own rules, when it has a file.
    func vocabulary() throws -> Vocabulary {
        var vocabulary = try Vocabulary.builtIn()
        guard FileManager.default.fileExists(atPath: vocabularyPath) else { return vocabulary }
        do {
            vocabulary.add(try Vocabulary(contentsOf: URL(fileURLWithPath: vocabularyPath)))
        } catch {
            throw ValidationError("vocabulary file \(vocabularyPath): \(error)")
        }
        return vocabulary
    }

    var dataDirectory: String
    var databaseDirectory: String
    var collection: String
    var chunkSize: Int
    var chunkOverlap: Int
    var batchSize: Int
    /// `INGEST_MAX_REMOVED_SHARE`: most of the indexed documents one sync removes unless forced.
    var maxRemovedShare: Double
    var topK: Int
    /// `REFUSAL_THRESHOLD`: a fixed floor on the best passage's similarity instead of the calibration.
    var refusalThreshold: Float?
    /// `ANSWER_MODE`: "gerada" (the chat model writes, checked against the evidence) or "extrativa".
    var answerMode: String
    var systemPrompt: String
    var maxAnswerTokens: Int
    /// `INDEX_REFRESH_SECONDS`: how often a replica checks whether another one changed the index.
    var indexRefresh: Duration
    /// `DATABASE_URL`: the index on PostgreSQL (replicas share it) instead of SQLite.
    var databaseURL: DatabaseURL?
}

/// The all-in-one chatbot: both models in this process, SQLite index, the data folder.
struct Chatbot {
    let knowledge: KnowledgeBase
    let embeddingModel: LlamaModel
    /// Nil when only retrieval was asked for (`guiche eval --retrieval-only`).
    let chatModel: LlamaModel?
    let embedder: Embedder
    let generator: Generator?

    /// `recordingTextsTo`: a file that receives every document text embedded (`RecordingEmbedding`).
    static func make(
        models: ModelSettings, rag: RAGSettings, store: any IndexStore, parallel: Int, logger: Logger, loadChatModel: Bool = true,
        recordingTextsTo textsPath: String? = nil
    ) throws -> Chatbot {
        let embedder = try models.embedder(
            modelAt: try models.embeddingModelPath(), configuration: .init(threads: models.threads, maxSequencesPerPass: rag.batchSize), logger: logger)
        let embeddingModel = embedder.model
        var chatModel: LlamaModel?
        var generator: Generator?
        if loadChatModel {
            let model = try LlamaModel(path: try models.chatModelPath(), parameters: models.loadParameters)
            generator = try Generator(
                model: model,
                configuration: models.generatorConfiguration(parallel: parallel),
                logger: logger)
            chatModel = model
        }
        let local = LocalEmbedding(embedder: embedder)
        let knowledge = try rag.knowledgeBase(
            store: store, embedding: try textsPath.map { try RecordingEmbedding(local, writingTo: $0) } ?? local,
            generation: generator.map { LocalGeneration(generator: $0) as any TextGeneration } ?? ChatModelNotLoaded(), logger: logger)
        return Chatbot(knowledge: knowledge, embeddingModel: embeddingModel, chatModel: chatModel, embedder: embedder, generator: generator)
    }
}

/// The generation of a process that loaded no chat model: asking it is an error.
struct ChatModelNotLoaded: TextGeneration {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "the chat model is not loaded in this process (retrieval only)" }
    }

    func stream(messages: [ChatMessage], parameters: SamplingParameters) async throws -> AsyncThrowingStream<GenerationEvent, Error> {
        throw Unavailable()
    }
}

/// A one-line account of a collection's refusal calibration.
func describe(_ calibration: RefusalCalibration) -> String {
    func f(_ values: [Float]) -> String { values.map { String(format: "%.3f", $0) }.joined(separator: "/") }
    return "refusal calibration: floor \(String(format: "%.3f", calibration.floor)), asking a figure \(String(format: "%.3f", calibration.figureFloor)) "
        + "(out-of-domain bank p50/p90/p95/max \(f(calibration.outside)); "
        + "pseudo-questions p5/p50 \(f(calibration.inside)))"
}

/// A one-line summary of an ingest report.
func describe(_ report: IngestReport) -> String {
    var parts = ["\(report.added.count) added", "\(report.updated.count) updated", "\(report.removed.count) removed",
                 "\(report.unchanged.count) unchanged", "\(report.failed.count) failed", "\(report.skipped.count) skipped",
                 "\(report.chunksEmbedded) chunks embedded (\(report.tokensEmbedded) tokens)"]
    if report.fullReembed { parts.append("full re-embed after a model change") }
    return parts.joined(separator: ", ")
}

/// `guiche ingest`: syncs the data folder into the index.
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Index the data folder: new and changed documents in, deleted ones out; or one document of it.", discussion: environmentHelp)

    @OptionGroup var models: ModelOptions
    @OptionGroup var rag: RAGOptions

    @Argument(help: "The folder to index (default DATA_DIR), or one file inside DATA_DIR to index alone (the rest left as it is).")
    var folder: String?

    @Flag(help: "Remove the documents deleted from the folder even when they are most of the index (INGEST_MAX_REMOVED_SHARE).")
    var allowMassRemoval = false

    @Option(help: "Also write every text embedded to this file, one JSON string per line (for benchmarks: bench/ingest).")
    var embeddedTexts: String?

    func run() async throws {
        let config = try await GuicheConfiguration.load()
        var settings = try rag.resolve(config)
        var isFolder: ObjCBool = true
        let document = folder.flatMap { FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) && !isFolder.boolValue ? $0 : nil }
        if let folder, document == nil { settings.dataDirectory = folder }
        guard FileManager.default.fileExists(atPath: settings.dataDirectory) else {
            throw ValidationError("data folder \(settings.dataDirectory) does not exist")
        }
        var logger = Logger(label: "guiche.ingest")
        logger.logLevel = .warning  // the summary below reports what was indexed, failed and skipped
        let models = try models.resolve(config)
        try await settings.withStores(logger: logger) { stores in
            try await ingest(
                Chatbot.make(
                    models: models, rag: settings, store: stores.index, parallel: 1, logger: logger, loadChatModel: false,
                    recordingTextsTo: embeddedTexts),
                document: document)
        }
    }

    private func ingest(_ chatbot: Chatbot, document: String?) async throws {
        let start = ContinuousClock.now
        // A progress bar only on a terminal: redirected to a file or a log, it would be `\r` frames.
        let terminal = isatty(STDERR_FILENO) != 0
        let bar: @Sendable (Int, Int, String) -> Void = { done, total, path in
            let width = 30
            let filled = total == 0 ? width : width * done / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(path.prefix(40).padding(toLength: 40, withPad: " ", startingAt: 0))".utf8))
        }
        let report = if let document {
            try await chatbot.knowledge.ingestDocument(at: URL(fileURLWithPath: document))
        } else {
            try await chatbot.knowledge.ingest(allowMassRemoval: allowMassRemoval, progress: terminal ? bar : nil)
        }
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }  // the bar's line cleared
        for failure in report.failed { print("failed: \(failure.path): \(failure.reason)") }
        for skip in report.skipped { print("skipped: \(skip.path): \(skip.reason)") }
        print("\(describe(report)) in \(ContinuousClock.now - start)")
        let timings = report.timings
        print(String(format: "time: loading %.2f s, chunking %.2f s, embedding %.2f s, storing %.2f s",
                     timings.loading, timings.chunking, timings.embedding, timings.storing))
    }
}

/// `guiche ask "pergunta"`: answers from the index, with the sources.
struct Ask: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ask the chatbot a question (indexes the data folder first).", discussion: environmentHelp)

    @OptionGroup var models: ModelOptions
    @OptionGroup var rag: RAGOptions

    @Argument(help: "The question, in Portuguese.")
    var question: String

    func validate() throws {
        if question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("the question is empty") }
    }

    func run() async throws {
        let config = try await GuicheConfiguration.load()
        var logger = Logger(label: "guiche.ask")
        logger.logLevel = .warning
        let (models, settings) = (try models.resolve(config), try rag.resolve(config))
        let answer = try await settings.withStores(logger: logger) { stores in
            let chatbot = try Chatbot.make(models: models, rag: settings, store: stores.index, parallel: 1, logger: logger)
            _ = try await chatbot.knowledge.ingest()
            return try await chatbot.knowledge.answerer.answer(question: question)
        }
        print(answer.text)
        if !answer.sources.isEmpty {
            print("\nFontes:")
            for (index, source) in answer.sources.enumerated() {
                let location = source.location.isEmpty ? "" : " — \(source.location)"
                print("[\(index + 1)] \(source.documentPath)\(location) (pontuação \(String(format: "%.3f", source.similarity)))")
            }
        }
    }
}
