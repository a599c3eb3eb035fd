import DocumentIngestion
import Foundation
import LlamaRuntime

/// A document as the index knows it.
public struct StoredDocument: Sendable, Equatable, Codable {
    /// Path relative to the data folder: the document's identity.
    public var path: String
    /// SHA-256 of the file's bytes when it was indexed.
    public var contentHash: String
    public var format: String
    public var title: String
    public var chunkCount: Int
    public var indexedAt: Date

    public init(path: String, contentHash: String, format: String, title: String, chunkCount: Int, indexedAt: Date) {
        self.path = path
        self.contentHash = contentHash
        self.format = format
        self.title = title
        self.chunkCount = chunkCount
        self.indexedAt = indexedAt
    }
}

/// A chunk with its vector and keyword terms, ready to store.
public struct NewChunk: Sendable {
    public var chunk: Chunk
    public var vector: [Float]
    /// The sparse vector, when the embedding model has a sparse head.
    public var sparse: SparseVector?
    /// `KeywordText` terms of the chunk's law (annotations left out) and context, space-separated.
    public var bodyTerms: String
    /// `KeywordText` terms of the document's title and the chunk's location.
    public var headingTerms: String

    /// A chunk of the document titled `documentTitle`, its keyword terms derived from its text,
    /// context and location.
    public init(chunk: Chunk, vector: [Float], sparse: SparseVector? = nil, documentTitle: String) {
        self.chunk = chunk
        self.vector = vector
        self.sparse = sparse
        self.bodyTerms = KeywordText.terms(of: LegalAnnotations.strip(chunk.text) + "\n" + (chunk.context ?? "")).joined(separator: " ")
        self.headingTerms = KeywordText.terms(of: documentTitle + "\n" + chunk.location).joined(separator: " ")
    }
}

/// A stored chunk, as retrieval returns it.
public struct IndexedChunk: Sendable, Equatable, Codable {
    public var id: Int64
    public var documentPath: String
    public var documentTitle: String
    public var ordinal: Int
    public var text: String
    public var location: String
    public var tokens: Int
    /// The opening words of the units the chunk belongs to (see `Chunk.context`).
    public var context: String?

    public init(
        id: Int64, documentPath: String, documentTitle: String, ordinal: Int, text: String, location: String, tokens: Int, context: String?
    ) {
        self.id = id
        self.documentPath = documentPath
        self.documentTitle = documentTitle
        self.ordinal = ordinal
        self.text = text
        self.location = location
        self.tokens = tokens
        self.context = context
    }
}

/// All vectors of a collection, row-major, with their chunk ids: what dense search loads; and the
/// sparse vectors of those chunks that have one (what sparse search loads).
public struct VectorSnapshot: Sendable {
    public var ids: [Int64]
    public var dimensions: Int
    public var values: [Float]
    public var sparse: [Int64: SparseVector]

    public init(ids: [Int64], dimensions: Int, values: [Float], sparse: [Int64: SparseVector] = [:]) {
        self.ids = ids
        self.dimensions = dimensions
        self.values = values
        self.sparse = sparse
    }
}

/// Where a collection's documents, chunks, vectors and keyword index live. The embedded default is
/// `SQLiteIndexStore`; `PostgresIndexStore` (PostgreSQL + pgvector) serves replicated deployments.
public protocol IndexStore: Sendable {
    /// The embedding model the collection was built with; nil for a new collection.
    func embeddingModel() async throws -> EmbeddingModelFingerprint?
    /// How the collection was chunked (`Indexer.chunkingSettings`); nil for a new collection.
    func chunkingSettings() async throws -> String?
    /// Empties the collection and records `model` and `chunking` (one transaction): a full
    /// re-embed follows.
    func reset(for model: EmbeddingModelFingerprint, chunking: String) async throws
    func documents() async throws -> [StoredDocument]
    /// Replaces a document and all its chunks in one transaction: a crash leaves either the old
    /// version or the new one, never half a document or duplicates.
    func replace(_ document: StoredDocument, chunks: [NewChunk]) async throws
    func remove(documentPath: String) async throws
    func vectors() async throws -> VectorSnapshot
    /// The vectors of the chunks `ids` (those that exist), sparse ones included.
    func vectors(ids: [Int64]) async throws -> [Int64: TextVectors]
    func chunks(ids: [Int64]) async throws -> [IndexedChunk]
    /// The distinct keyword terms (body and heading; no identifier phrases) of the chunks `ids`
    /// that exist.
    func keywordTerms(ids: [Int64]) async throws -> [Int64: Set<String>]
    /// The chunks of the document at `documentPath`, in order (none when it is not indexed).
    func chunks(documentPath: String) async throws -> [IndexedChunk]
    /// BM25 over the chunks' keyword terms (body and heading): chunk ids with their scores
    /// (higher is better), best first.
    func keywordSearch(_ query: KeywordQuery, limit: Int) async throws -> [(id: Int64, score: Double)]
    func chunkCount() async throws -> Int
    /// The collection's refusal calibration; nil before the first (or after a reset).
    func calibration() async throws -> RefusalCalibration?
    func saveCalibration(_ calibration: RefusalCalibration) async throws
    /// A number that changes whenever another process may have changed the collection (a replica's
    /// ingest): what replicas poll to reload; nil for a store only this process writes (SQLite).
    func generation() async throws -> Int64?
    /// Runs `body` (a sync) while no other process syncs this collection: replicas take turns.
    func whileSyncing<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result
}

extension IndexStore {
    public func generation() async throws -> Int64? { nil }

    public func whileSyncing<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
        try await body()
    }
}
