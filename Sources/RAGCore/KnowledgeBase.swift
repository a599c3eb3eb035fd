import Foundation
import LlamaRuntime

/// The chatbot's state: one indexer, retriever and answerer over one collection. Ingests are
/// serialised; questions run concurrently with them against the last loaded index.
public actor KnowledgeBase {
    public let indexer: Indexer
    public let retriever: Retriever
    public let answerer: Answerer
    private let store: any IndexStore
    private var loaded = false
    private var lastReport: IngestReport?

    public init(store: any IndexStore, embedding: any TextEmbedding, generation: any TextGeneration,
                indexer: Indexer, vocabulary: Vocabulary = .empty, settings: Answerer.Settings) {
        self.store = store
        self.indexer = indexer
        self.retriever = Retriever(store: store, embedding: embedding, vocabulary: vocabulary)
        self.answerer = Answerer(retriever: retriever, generation: generation, settings: settings)
    }

    /// Syncs the data folder into the index and reloads the vectors.
    public func ingest(progress: (@Sendable (Int, Int, String) -> Void)? = nil) async throws -> IngestReport {
        let report = try await indexer.sync(progress: progress)
        try await retriever.reload()
        loaded = true
        lastReport = report
        return report
    }

    /// Loads the existing index without syncing (questions work before the first ingest ends).
    public func load() async throws {
        try await retriever.reload()
        loaded = true
    }

    public var isLoaded: Bool { loaded }
    public var latestReport: IngestReport? { lastReport }

    public func documents() async throws -> [StoredDocument] {
        try await store.documents()
    }

    public func chunkCount() async throws -> Int {
        try await store.chunkCount()
    }
}
