import Foundation
import LlamaRuntime

/// The chatbot's state: one indexer, retriever and answerer over one collection. One ingest runs
/// at a time: a request made while one runs gets that ingest's report (or, asking for different
/// options, `IngestInProgress`); questions run concurrently with it against the last loaded index.
public actor KnowledgeBase {
    public let indexer: Indexer
    public let retriever: Retriever
    public let answerer: Answerer
    private let store: any IndexStore
    private let calibration = CalibrationStore()
    private var loaded = false
    /// The store's generation the loaded index reflects (see `refreshIfChanged`).
    private var loadedGeneration: Int64?
    private var lastReport: IngestReport?
    /// The ingest running now, and whether it may remove most documents.
    private var running: (task: Task<IngestReport, Error>, allowMassRemoval: Bool)?

    public init(store: any IndexStore, embedding: any TextEmbedding, generation: any TextGeneration,
                indexer: Indexer, vocabulary: Vocabulary = .empty, settings: Answerer.Settings) {
        self.store = store
        self.indexer = indexer
        self.retriever = Retriever(store: store, embedding: embedding, vocabulary: vocabulary)
        self.answerer = Answerer(
            retriever: retriever, generation: generation, selector: EvidenceSelector(embedding: embedding, vocabulary: vocabulary),
            settings: settings, calibration: calibration)
    }

    /// Syncs the data folder into the index, reloads the vectors and, when the documents changed
    /// (or the collection was never calibrated), calibrates refusals again.
    public func ingest(allowMassRemoval: Bool = false, progress: (@Sendable (Int, Int, String) -> Void)? = nil) async throws -> IngestReport {
        if let running {
            guard running.allowMassRemoval == allowMassRemoval else { throw IngestInProgress() }
            return try await running.task.value
        }
        let task = Task { try await self.sync(allowMassRemoval: allowMassRemoval, progress: progress) }
        running = (task, allowMassRemoval)
        defer { running = nil }
        return try await task.value
    }

    private func sync(allowMassRemoval: Bool, progress: (@Sendable (Int, Int, String) -> Void)?) async throws -> IngestReport {
        let indexer = indexer
        let report = try await store.whileSyncing { try await indexer.sync(allowMassRemoval: allowMassRemoval, progress: progress) }
        try await reload(recalibrating: !(report.added.isEmpty && report.updated.isEmpty && report.removed.isEmpty))
        lastReport = report
        return report
    }

    /// Reloads the vectors and the calibration (computed again when `recalibrating`).
    private func reload(recalibrating: Bool) async throws {
        // Read first: a change made while reloading moves the generation past this one.
        let generation = try await store.generation()
        try await retriever.reload()
        try await useCalibration(recomputing: recalibrating)
        loadedGeneration = generation
        loaded = true
    }

    /// Reloads the index when another process (a rag replica on the same PostgreSQL) changed it
    /// since it was loaded; true when it did. Never while this process syncs.
    public func refreshIfChanged() async throws -> Bool {
        guard running == nil, let generation = try await store.generation(), generation != loadedGeneration else { return false }
        try await reload(recalibrating: false)
        return true
    }

    /// Indexes one document of the data folder, leaving the others as they are (see
    /// `Indexer.syncDocument`); after a running ingest, if any.
    public func ingestDocument(at url: URL) async throws -> IngestReport {
        if let running { _ = try? await running.task.value }
        let indexer = indexer
        let report = try await store.whileSyncing { try await indexer.syncDocument(at: url) }
        try await reload(recalibrating: !(report.added.isEmpty && report.updated.isEmpty))
        lastReport = report
        return report
    }

    /// Removes the document at `path` (relative to the data folder) from the index — its file is
    /// the caller's to delete — and reloads; false when no such document is indexed.
    public func removeDocument(at path: String) async throws -> Bool {
        if let running { _ = try? await running.task.value }
        guard try await store.documents().contains(where: { $0.path == path }) else { return false }
        try await store.remove(documentPath: path)
        try await reload(recalibrating: true)
        return true
    }

    /// Loads the existing index without syncing (questions work before the first ingest ends).
    public func load() async throws {
        try await reload(recalibrating: false)
    }

    /// The collection's refusal calibration (computed when missing, stale or `recomputing`).
    public func refusalCalibration() async throws -> RefusalCalibration? {
        try await store.calibration()
    }

    private func useCalibration(recomputing: Bool) async throws {
        var stored = try await store.calibration()
        if recomputing || stored?.version != RefusalCalibration.currentVersion, await retriever.chunkCount > 0 {
            let computed = try await RefusalCalibration.compute(
                retriever: retriever, store: store, bank: try RefusalCalibration.bank(), topK: answerer.settings.topK)
            try await store.saveCalibration(computed)
            stored = computed
        }
        await calibration.update(stored?.policy ?? .permissive)
    }

    public var isLoaded: Bool { loaded }
    public var latestReport: IngestReport? { lastReport }

    public func documents() async throws -> [StoredDocument] {
        try await store.documents()
    }

    public func chunkCount() async throws -> Int {
        try await store.chunkCount()
    }

    /// The indexed document at `path` (relative to the data folder) and its chunks in order; nil
    /// when no such document is indexed.
    public func document(at path: String) async throws -> (document: StoredDocument, chunks: [IndexedChunk])? {
        guard let document = try await store.documents().first(where: { $0.path == path }) else { return nil }
        return (document, try await store.chunks(documentPath: path))
    }
}

/// An ingest asked for while another, with different options, runs.
public struct IngestInProgress: Error, CustomStringConvertible {
    public var description: String {
        "another ingest is running with different options; try again when it ends"
    }
}
