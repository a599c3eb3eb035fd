import DocumentIngestion
import Foundation
import LlamaRuntime
import Logging
import PostgresNIO
import RAGCore

/// The replicated index: a collection's documents, chunks, vectors (pgvector `vector(n)`) and
/// keyword terms in PostgreSQL, shared by every rag replica. One schema per collection
/// (`guiche_<COLLECTION_NAME>`). Keyword search is BM25 computed in SQL over the same
/// `KeywordText` terms the SQLite store indexes, with FTS5's formula and constants, so both stores
/// rank alike and answer alike.
public final class PostgresIndexStore: IndexStore {
    private let client: PostgresClient
    private let logger: Logger
    /// The collection's schema, a safe identifier.
    public let schema: String

    /// The store of `collection` over `client` (whose `run()` must be running); call `migrate()`
    /// before use.
    public init(client: PostgresClient, collection: String, logger: Logger) {
        self.client = client
        self.logger = logger
        schema = Self.schema(for: collection)
    }

    /// `guiche_<collection>`, lower-cased, characters other than letters, digits and `_` as `_`.
    public static func schema(for collection: String) -> String {
        "guiche_" + String(collection.lowercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" ? $0 : "_" })
    }

    /// Creates or brings up to date the collection's schema (`PostgresMigrator`: named, frozen
    /// migrations in one transaction under an advisory lock, so replicas starting together migrate once).
    public func migrate() async throws {
        try await PostgresMigrator(schema: schema).migrate(client: client, logger: logger)
    }

    public func embeddingModel() async throws -> EmbeddingModelFingerprint? {
        let rows = try await client.query("SELECT model_name, dimensions, model_digest FROM \(unescaped: schema).collection WHERE id = 1", logger: logger)
        for try await (name, dimensions, digest) in rows.decode((String, Int, String).self) {
            return EmbeddingModelFingerprint(name: name, dimensions: dimensions, fileDigest: digest)
        }
        return nil
    }

    public func chunkingSettings() async throws -> String? {
        try await optionalText("SELECT chunking FROM \(unescaped: schema).collection WHERE id = 1")
    }

    public func calibration() async throws -> RefusalCalibration? {
        try await optionalText("SELECT calibration FROM \(unescaped: schema).collection WHERE id = 1")
            .flatMap { try? JSONDecoder().decode(RefusalCalibration.self, from: Data($0.utf8)) }
    }

    public func saveCalibration(_ calibration: RefusalCalibration) async throws {
        let json = String(decoding: try JSONEncoder().encode(calibration), as: UTF8.self)
        let s = schema
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("UPDATE \(unescaped: s).collection SET calibration = \(json) WHERE id = 1", logger: logger)
            try await Self.bumpGeneration(s, connection, logger)
        }
    }

    public func generation() async throws -> Int64? {
        for try await value in try await client.query("SELECT value FROM \(unescaped: schema).generation", logger: logger).decode(Int64.self) {
            return value
        }
        return nil
    }

    private static func bumpGeneration(_ schema: String, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("UPDATE \(unescaped: schema).generation SET value = value + 1", logger: logger)
    }

    /// Holds a session advisory lock on the collection for `body`, on a connection of its own: a
    /// second replica's sync waits for the first; a replica that dies mid-sync releases it with its
    /// connection (and its unfinished document's transaction rolls back).
    public func whileSyncing<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
        let key = "sync:" + schema
        let logger = logger
        return try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(hashtext(\(key)))", logger: logger)
            do {
                let result = try await body()
                try await connection.query("SELECT pg_advisory_unlock(hashtext(\(key)))", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(key)))", logger: logger)
                throw error
            }
        }
    }

    private func optionalText(_ query: PostgresQuery) async throws -> String? {
        for try await value in try await client.query(query, logger: logger).decode(String?.self) { return value }
        return nil
    }

    public func reset(for model: EmbeddingModelFingerprint, chunking: String) async throws {
        let s = schema
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("DELETE FROM \(unescaped: s).document", logger: logger)
            try await connection.query("DELETE FROM \(unescaped: s).collection", logger: logger)
            // The vectors' column takes the model's dimensions: pgvector then refuses a vector of another size.
            try await connection.query(
                "ALTER TABLE \(unescaped: s).chunk ALTER COLUMN embedding TYPE vector(\(unescaped: String(model.dimensions)))", logger: logger)
            try await connection.query(
                """
                INSERT INTO \(unescaped: s).collection (id, model_name, dimensions, model_digest, chunking)
                VALUES (1, \(model.name), \(model.dimensions), \(model.fileDigest), \(chunking))
                """, logger: logger)
            try await Self.bumpGeneration(s, connection, logger)
        }
    }

    public func documents() async throws -> [StoredDocument] {
        let rows = try await client.query(
            "SELECT path, content_hash, format, title, chunk_count, indexed_at FROM \(unescaped: schema).document ORDER BY path",
            logger: logger)
        var documents: [StoredDocument] = []
        for try await (path, hash, format, title, count, indexedAt) in rows.decode((String, String, String, String, Int, Date).self) {
            documents.append(StoredDocument(path: path, contentHash: hash, format: format, title: title, chunkCount: count, indexedAt: indexedAt))
        }
        return documents
    }

    public func replace(_ document: StoredDocument, chunks: [NewChunk]) async throws {
        let s = schema
        let logger = logger
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("DELETE FROM \(unescaped: s).document WHERE path = \(document.path)", logger: logger)
            try await Self.bumpGeneration(s, connection, logger)
            var documentID: Int64 = 0
            for try await id in try await connection.query(
                """
                INSERT INTO \(unescaped: s).document (path, content_hash, format, title, chunk_count, indexed_at)
                VALUES (\(document.path), \(document.contentHash), \(document.format), \(document.title), \(chunks.count), \(document.indexedAt))
                RETURNING id
                """, logger: logger
            ).decode(Int64.self) { documentID = id }
            guard !chunks.isEmpty else { return }
            let terms = chunks.map { Self.termCounts(body: $0.bodyTerms, heading: $0.headingTerms) }
            // One statement for the chunks, one for their terms (arrays unnested server-side).
            var chunkIDs: [Int64] = []
            for try await id in try await connection.query(
                """
                INSERT INTO \(unescaped: s).chunk (document_id, ordinal, text, location, tokens, context, embedding, term_count, sparse)
                SELECT \(documentID), c.ordinal, c.text, c.location, c.tokens, NULLIF(c.context, ''), c.embedding::vector, c.term_count,
                       decode(NULLIF(c.sparse, ''), 'base64')
                FROM unnest(\(chunks.map(\.chunk.ordinal))::int[], \(chunks.map(\.chunk.text))::text[], \(chunks.map(\.chunk.location))::text[],
                            \(chunks.map(\.chunk.tokens))::int[], \(chunks.map { $0.chunk.context ?? "" })::text[],
                            \(chunks.map { Self.vectorLiteral($0.vector) })::text[], \(terms.map(\.length))::int[],
                            \(chunks.map { $0.sparse.map { Data($0.bytes).base64EncodedString() } ?? "" })::text[])
                     WITH ORDINALITY AS c(ordinal, text, location, tokens, context, embedding, term_count, sparse, position)
                ORDER BY c.position
                RETURNING id
                """, logger: logger
            ).decode(Int64.self) { chunkIDs.append(id) }
            var termColumn: [String] = [], chunkColumn: [Int64] = [], countColumn: [Int] = []
            for (id, counts) in zip(chunkIDs.sorted(), terms) {
                for (term, count) in counts.counts {
                    termColumn.append(term)
                    chunkColumn.append(id)
                    countColumn.append(count)
                }
            }
            try await connection.query(
                """
                INSERT INTO \(unescaped: s).chunk_term (term, chunk_id, freq)
                SELECT * FROM unnest(\(termColumn)::text[], \(chunkColumn)::bigint[], \(countColumn)::int[])
                """, logger: logger)
        }
    }

    /// A chunk's keyword terms with their counts over body and heading, its identifier phrases
    /// (a term then a number, within one field: what FTS5's phrase query "art 147" matches), and its
    /// length in terms (FTS5's document length over both columns).
    static func termCounts(body: String, heading: String) -> (counts: [String: Int], length: Int) {
        var counts: [String: Int] = [:]
        var length = 0
        for field in [body, heading] {
            let terms = field.split(separator: " ").map(String.init)
            length += terms.count
            for term in terms { counts[term, default: 0] += 1 }
            for (first, second) in zip(terms, terms.dropFirst()) where second.first?.isNumber == true {
                counts[first + " " + second, default: 0] += 1
            }
        }
        return (counts, length)
    }

    /// pgvector's text form, "[0.1,0.2,…]": Swift prints each float's shortest exact form.
    static func vectorLiteral(_ vector: [Float]) -> String {
        "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
    }

    public func remove(documentPath: String) async throws {
        let s = schema
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("DELETE FROM \(unescaped: s).document WHERE path = \(documentPath)", logger: logger)
            try await Self.bumpGeneration(s, connection, logger)
        }
    }

    public func vectors() async throws -> VectorSnapshot {
        let dimensions = try await embeddingModel()?.dimensions ?? 0
        var ids: [Int64] = []
        var values: [Float] = []
        var sparse: [Int64: SparseVector] = [:]
        let rows = try await client.query(
            "SELECT id, embedding::real[], encode(sparse, 'base64') FROM \(unescaped: schema).chunk ORDER BY id", logger: logger)
        for try await (id, vector, sparseBase64) in rows.decode((Int64, [Float], String?).self) where vector.count == dimensions {
            ids.append(id)
            values.append(contentsOf: vector)
            sparse[id] = Self.sparseVector(base64: sparseBase64)
        }
        return VectorSnapshot(ids: ids, dimensions: dimensions, values: values, sparse: sparse)
    }

    public func vectors(ids: [Int64]) async throws -> [Int64: TextVectors] {
        guard !ids.isEmpty else { return [:] }
        var vectors: [Int64: TextVectors] = [:]
        let rows = try await client.query(
            "SELECT id, embedding::real[], encode(sparse, 'base64') FROM \(unescaped: schema).chunk WHERE id = ANY(\(ids))", logger: logger)
        for try await (id, vector, sparseBase64) in rows.decode((Int64, [Float], String?).self) {
            vectors[id] = TextVectors(dense: vector, sparse: Self.sparseVector(base64: sparseBase64))
        }
        return vectors
    }

    public func keywordTerms(ids: [Int64]) async throws -> [Int64: Set<String>] {
        guard !ids.isEmpty else { return [:] }
        var terms: [Int64: Set<String>] = [:]
        let rows = try await client.query(
            "SELECT chunk_id, term FROM \(unescaped: schema).chunk_term WHERE chunk_id = ANY(\(ids)) AND strpos(term, ' ') = 0", logger: logger)
        for try await (id, term) in rows.decode((Int64, String).self) { terms[id, default: []].insert(term) }
        return terms
    }

    /// A sparse vector from PostgreSQL's base64 of its bytes (which breaks lines every 76 characters).
    static func sparseVector(base64: String?) -> SparseVector? {
        base64.flatMap { Data(base64Encoded: $0, options: .ignoreUnknownCharacters) }.flatMap(SparseVector.init(bytes:))
    }

    public func chunks(ids: [Int64]) async throws -> [IndexedChunk] {
        guard !ids.isEmpty else { return [] }
        let found = try await indexedChunks("\(unescaped: selectChunks) WHERE chunk.id = ANY(\(ids))")
        let byID = Dictionary(uniqueKeysWithValues: found.map { ($0.id, $0) })
        return ids.compactMap { byID[$0] }
    }

    public func chunks(documentPath: String) async throws -> [IndexedChunk] {
        try await indexedChunks("\(unescaped: selectChunks) WHERE document.path = \(documentPath) ORDER BY chunk.ordinal")
    }

    private var selectChunks: String {
        """
        SELECT chunk.id, chunk.ordinal, chunk.text, chunk.location, chunk.tokens, chunk.context, document.path, document.title
        FROM \(schema).chunk JOIN \(schema).document ON document.id = chunk.document_id
        """
    }

    private func indexedChunks(_ query: PostgresQuery) async throws -> [IndexedChunk] {
        var chunks: [IndexedChunk] = []
        let rows = try await client.query(query, logger: logger)
        for try await (id, ordinal, text, location, tokens, context, path, title) in rows.decode(
            (Int64, Int, String, String, Int, String?, String, String).self)
        {
            chunks.append(IndexedChunk(
                id: id, documentPath: path, documentTitle: title, ordinal: ordinal, text: text, location: location, tokens: tokens,
                context: context))
        }
        return chunks
    }

    public func keywordSearch(_ query: KeywordQuery, limit: Int) async throws -> [(id: Int64, score: Double)] {
        guard !query.isEmpty else { return [] }
        // FTS5's bm25(): idf = ln((N - n + 0.5) / (n + 0.5)), at least 1e-6; per query phrase
        // idf * f * (k1 + 1) / (f + k1 * (1 - b + b * D / avgdl)), k1 = 1.2, b = 0.75.
        let phrases = query.phrases.map { $0.joined(separator: " ") } + query.terms
        let s = schema
        let rows = try await client.query(
            """
            WITH q AS (SELECT unnest(\(phrases)::text[]) AS term),
                 stats AS (SELECT count(*)::float8 AS rows, coalesce(avg(term_count), 1)::float8 AS avgdl FROM \(unescaped: s).chunk),
                 df AS (SELECT term, count(*)::float8 AS hits FROM \(unescaped: s).chunk_term WHERE term = ANY(\(phrases)) GROUP BY term)
            SELECT t.chunk_id, sum(greatest(ln((stats.rows - df.hits + 0.5) / (df.hits + 0.5)), 1e-6)
                   * t.freq * 2.2 / (t.freq + 1.2 * (0.25 + 0.75 * c.term_count / stats.avgdl)))::float8 AS score
            FROM q JOIN \(unescaped: s).chunk_term t ON t.term = q.term JOIN df ON df.term = q.term
                 JOIN \(unescaped: s).chunk c ON c.id = t.chunk_id CROSS JOIN stats
            GROUP BY t.chunk_id ORDER BY score DESC, t.chunk_id LIMIT \(limit)
            """, logger: logger)
        var results: [(id: Int64, score: Double)] = []
        for try await (id, score) in rows.decode((Int64, Double).self) { results.append((id, score)) }
        return results
    }

    public func chunkCount() async throws -> Int {
        for try await count in try await client.query("SELECT count(*) FROM \(unescaped: schema).chunk", logger: logger).decode(Int.self) {
            return count
        }
        return 0
    }
}
