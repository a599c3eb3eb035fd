import DocumentIngestion
import Foundation
import GRDB
import LlamaRuntime

/// The embedded index: one SQLite database per collection (`.rag_db/<COLLECTION_NAME>.sqlite`),
/// vectors as float32 blobs, an FTS5 table with diacritics folded for BM25.
public final class SQLiteIndexStore: IndexStore {
    private let database: DatabaseQueue

    /// Opens (creating and migrating when needed) the collection at `path`; `nil` opens an
    /// in-memory database (tests).
    public init(path: String?) throws {
        database = try Self.open(path: path, migrator: Self.migrator)
    }

    /// A database at `path` (its folder created, write-ahead log on) or in memory when nil,
    /// migrated by `migrator`: how every SQLite database of a collection is opened.
    static func open(path: String?, migrator: DatabaseMigrator) throws -> DatabaseQueue {
        let database: DatabaseQueue
        if let path {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
            database = try DatabaseQueue(path: path, configuration: configuration)
        } else {
            database = try DatabaseQueue()
        }
        try migrator.migrate(database)
        return database
    }

    /// The collection's database file for `name` under `directory`.
    public static func path(directory: String, collection name: String) -> String {
        let safe = name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
        return (directory as NSString).appendingPathComponent(String(safe) + ".sqlite")
    }

    /// Named, frozen migrations: add new ones, never edit these.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: collection, documents, chunks, keyword index") { db in
            try db.create(table: "collection") { t in
                t.primaryKey("id", .integer, onConflict: .replace).check { $0 == 1 }
                t.column("model_name", .text).notNull()
                t.column("dimensions", .integer).notNull()
                t.column("model_digest", .text).notNull()
            }
            try db.create(table: "document") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("path", .text).notNull().unique()
                t.column("content_hash", .text).notNull()
                t.column("format", .text).notNull()
                t.column("title", .text).notNull()
                t.column("chunk_count", .integer).notNull()
                t.column("indexed_at", .datetime).notNull()
            }
            try db.create(table: "chunk") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("document_id", .integer).notNull().indexed().references("document", onDelete: .cascade)
                t.column("ordinal", .integer).notNull()
                t.column("text", .text).notNull()
                t.column("location", .text).notNull()
                t.column("tokens", .integer).notNull()
                t.column("vector", .blob).notNull()
            }
            try db.execute(sql: """
                CREATE VIRTUAL TABLE chunk_fts USING fts5(
                    text, location, title, tokenize = 'unicode61 remove_diacritics 2')
                """)
        }
        migrator.registerMigration("v2: stemmed keyword terms, chunk context") { db in
            // Chunking and the keyword index changed: every document is indexed again at the next sync.
            try db.execute(sql: "DROP TABLE chunk_fts")
            try db.execute(sql: "DELETE FROM chunk")
            try db.execute(sql: "DELETE FROM document")
            try db.alter(table: "chunk") { t in t.add(column: "context", .text) }
            try db.alter(table: "collection") { t in t.add(column: "chunking", .text) }
            try db.execute(sql: """
                CREATE VIRTUAL TABLE chunk_terms USING fts5(body, heading, tokenize = 'unicode61 remove_diacritics 2')
                """)
        }
        migrator.registerMigration("v3: refusal calibration") { db in
            try db.alter(table: "collection") { t in t.add(column: "calibration", .text) }
        }
        migrator.registerMigration("v4: sparse vectors") { db in
            try db.alter(table: "chunk") { t in t.add(column: "sparse", .blob) }
        }
        return migrator
    }()

    public func embeddingModel() async throws -> EmbeddingModelFingerprint? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT model_name, dimensions, model_digest FROM collection WHERE id = 1").map {
                EmbeddingModelFingerprint(name: $0["model_name"], dimensions: $0["dimensions"], fileDigest: $0["model_digest"])
            }
        }
    }

    public func calibration() async throws -> RefusalCalibration? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT calibration FROM collection WHERE id = 1")
                .flatMap { try? JSONDecoder().decode(RefusalCalibration.self, from: Data($0.utf8)) }
        }
    }

    public func saveCalibration(_ calibration: RefusalCalibration) async throws {
        let json = String(decoding: try JSONEncoder().encode(calibration), as: UTF8.self)
        try await database.write { db in try db.execute(sql: "UPDATE collection SET calibration = ? WHERE id = 1", arguments: [json]) }
    }

    public func chunkingSettings() async throws -> String? {
        try await database.read { db in try String.fetchOne(db, sql: "SELECT chunking FROM collection WHERE id = 1") }
    }

    public func reset(for model: EmbeddingModelFingerprint, chunking: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM chunk_terms")
            try db.execute(sql: "DELETE FROM chunk")
            try db.execute(sql: "DELETE FROM document")
            try db.execute(
                sql: "INSERT INTO collection (id, model_name, dimensions, model_digest, chunking) VALUES (1, ?, ?, ?, ?)",
                arguments: [model.name, model.dimensions, model.fileDigest, chunking])
        }
    }

    public func documents() async throws -> [StoredDocument] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM document ORDER BY path").map {
                StoredDocument(
                    path: $0["path"], contentHash: $0["content_hash"], format: $0["format"], title: $0["title"],
                    chunkCount: $0["chunk_count"], indexedAt: $0["indexed_at"])
            }
        }
    }

    public func replace(_ document: StoredDocument, chunks: [NewChunk]) async throws {
        try await database.write { db in
            try Self.delete(path: document.path, in: db)
            try db.execute(
                sql: "INSERT INTO document (path, content_hash, format, title, chunk_count, indexed_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [document.path, document.contentHash, document.format, document.title, chunks.count, document.indexedAt])
            let documentID = db.lastInsertedRowID
            for new in chunks {
                try db.execute(
                    sql: "INSERT INTO chunk (document_id, ordinal, text, location, tokens, vector, context, sparse) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        documentID, new.chunk.ordinal, new.chunk.text, new.chunk.location, new.chunk.tokens, Self.blob(new.vector),
                        new.chunk.context, new.sparse.map { Data($0.bytes) },
                    ])
                try db.execute(
                    sql: "INSERT INTO chunk_terms (rowid, body, heading) VALUES (?, ?, ?)",
                    arguments: [db.lastInsertedRowID, new.bodyTerms, new.headingTerms])
            }
        }
    }

    public func remove(documentPath: String) async throws {
        try await database.write { db in try Self.delete(path: documentPath, in: db) }
    }

    private static func delete(path: String, in db: Database) throws {
        try db.execute(
            sql: "DELETE FROM chunk_terms WHERE rowid IN (SELECT chunk.id FROM chunk JOIN document ON document.id = chunk.document_id WHERE document.path = ?)",
            arguments: [path])
        try db.execute(sql: "DELETE FROM chunk WHERE document_id IN (SELECT id FROM document WHERE path = ?)", arguments: [path])
        try db.execute(sql: "DELETE FROM document WHERE path = ?", arguments: [path])
    }

    public func vectors() async throws -> VectorSnapshot {
        try await database.read { db in
            let dimensions = try Int.fetchOne(db, sql: "SELECT dimensions FROM collection WHERE id = 1") ?? 0
            var ids: [Int64] = []
            var values: [Float] = []
            var sparse: [Int64: SparseVector] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT id, vector, sparse FROM chunk ORDER BY id")
            while let row = try rows.next() {
                let data: Data = row["vector"]
                guard data.count == dimensions * 4 else { continue }
                let id: Int64 = row["id"]
                ids.append(id)
                data.withUnsafeBytes { values.append(contentsOf: $0.bindMemory(to: Float.self)) }
                sparse[id] = (row["sparse"] as Data?).flatMap(SparseVector.init(bytes:))
            }
            return VectorSnapshot(ids: ids, dimensions: dimensions, values: values, sparse: sparse)
        }
    }

    public func keywordTerms(ids: [Int64]) async throws -> [Int64: Set<String>] {
        guard !ids.isEmpty else { return [:] }
        return try await database.read { db in
            var terms: [Int64: Set<String>] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT rowid, body, heading FROM chunk_terms WHERE rowid IN (\(ids.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments(ids))
            while let row = try rows.next() {
                let (body, heading): (String, String) = (row["body"], row["heading"])
                terms[row["rowid"]] = Set((body + " " + heading).split(separator: " ").map(String.init))
            }
            return terms
        }
    }

    public func vectors(ids: [Int64]) async throws -> [Int64: TextVectors] {
        guard !ids.isEmpty else { return [:] }
        return try await database.read { db in
            var vectors: [Int64: TextVectors] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT id, vector, sparse FROM chunk WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments(ids))
            while let row = try rows.next() {
                let data: Data = row["vector"]
                vectors[row["id"]] = TextVectors(
                    dense: data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) },
                    sparse: (row["sparse"] as Data?).flatMap(SparseVector.init(bytes:)))
            }
            return vectors
        }
    }

    public func chunks(ids: [Int64]) async throws -> [IndexedChunk] {
        guard !ids.isEmpty else { return [] }
        let found = try await indexedChunks(where: "chunk.id IN (\(ids.map { _ in "?" }.joined(separator: ",")))", StatementArguments(ids))
        let byID = Dictionary(uniqueKeysWithValues: found.map { ($0.id, $0) })
        return ids.compactMap { byID[$0] }
    }

    public func chunks(documentPath: String) async throws -> [IndexedChunk] {
        try await indexedChunks(where: "document.path = ? ORDER BY chunk.ordinal", [documentPath])
    }

    private func indexedChunks(where condition: String, _ arguments: StatementArguments) async throws -> [IndexedChunk] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT chunk.id, chunk.ordinal, chunk.text, chunk.location, chunk.tokens, chunk.context, document.path, document.title
                FROM chunk JOIN document ON document.id = chunk.document_id
                WHERE \(condition)
                """, arguments: arguments).map {
                IndexedChunk(
                    id: $0["id"], documentPath: $0["path"], documentTitle: $0["title"], ordinal: $0["ordinal"],
                    text: $0["text"], location: $0["location"], tokens: $0["tokens"], context: $0["context"])
            }
        }
    }

    public func keywordSearch(_ query: KeywordQuery, limit: Int) async throws -> [(id: Int64, score: Double)] {
        guard !query.isEmpty else { return [] }
        let quoted = { (word: String) in "\"" + word.replacingOccurrences(of: "\"", with: "") + "\"" }
        let match = (query.phrases.map { quoted($0.joined(separator: " ")) } + query.terms.map(quoted)).joined(separator: " OR ")
        return try await database.read { db in
            // bm25 weights: body 1, heading (title and location, with article numbers) 1.
            // FTS5's bm25() is lower for better matches.
            try Row.fetchAll(db, sql: """
                SELECT rowid, -bm25(chunk_terms, 1.0, 1.0) AS score FROM chunk_terms WHERE chunk_terms MATCH ? ORDER BY score DESC LIMIT ?
                """, arguments: [match, limit]).map { (id: $0["rowid"], score: $0["score"]) }
        }
    }

    public func chunkCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chunk") ?? 0 }
    }

    static func blob(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }
}
