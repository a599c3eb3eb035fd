import Logging
import PostgresNIO

/// One named, frozen migration of a collection's schema: its statements, given the schema name.
struct PostgresMigration: Sendable {
    var name: String
    var statements: @Sendable (String) -> [String]
}

/// Applies a schema's migrations in order, each once, recording them in `<schema>.migrations`:
/// one transaction under an advisory lock (one for every collection: they share the `vector`
/// extension), so replicas starting together wait for the first and then find nothing to do.
struct PostgresMigrator {
    var schema: String
    var migrations: [PostgresMigration] = Self.migrations

    /// The advisory lock migrations hold ("guiche" in ASCII).
    static let lockKey: Int64 = 0x67_75_69_63_68_65

    func migrate(client: PostgresClient, logger: Logger) async throws {
        let s = schema
        let migrations = migrations
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: s)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS \(unescaped: s).migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                logger: logger)
            var applied = Set<String>()
            for try await name in try await connection.query("SELECT name FROM \(unescaped: s).migrations", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            for migration in migrations where !applied.contains(migration.name) {
                for statement in migration.statements(s) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO \(unescaped: s).migrations (name) VALUES (\(migration.name))", logger: logger)
                logger.info("migrated", metadata: ["schema": "\(s)", "migration": "\(migration.name)"])
            }
        }
    }

    /// Named, frozen migrations: add new ones, never edit these.
    static let migrations: [PostgresMigration] = [
        PostgresMigration(name: "v1: collection, documents, chunks, vectors, keyword terms") { s in
            [
                "CREATE EXTENSION IF NOT EXISTS vector",
                """
                CREATE TABLE \(s).collection (
                    id int PRIMARY KEY CHECK (id = 1), model_name text NOT NULL, dimensions int NOT NULL,
                    model_digest text NOT NULL, chunking text, calibration text)
                """,
                // Bumped by every change, in the change's transaction: replicas poll it to reload.
                "CREATE TABLE \(s).generation (id int PRIMARY KEY CHECK (id = 1), value bigint NOT NULL)",
                "INSERT INTO \(s).generation VALUES (1, 0)",
                """
                CREATE TABLE \(s).document (
                    id bigserial PRIMARY KEY, path text NOT NULL UNIQUE, content_hash text NOT NULL, format text NOT NULL,
                    title text NOT NULL, chunk_count int NOT NULL, indexed_at timestamptz NOT NULL)
                """,
                """
                CREATE TABLE \(s).chunk (
                    id bigserial PRIMARY KEY, document_id bigint NOT NULL REFERENCES \(s).document(id) ON DELETE CASCADE,
                    ordinal int NOT NULL, text text NOT NULL, location text NOT NULL, tokens int NOT NULL, context text,
                    embedding vector NOT NULL, term_count int NOT NULL)
                """,
                "CREATE INDEX chunk_on_document_id ON \(s).chunk (document_id)",
                // A chunk's keyword terms (body and heading together, as FTS5 weighs them 1 and 1) and
                // its identifier phrases ("art 147": a term followed by a number), with their counts.
                """
                CREATE TABLE \(s).chunk_term (
                    term text NOT NULL, chunk_id bigint NOT NULL REFERENCES \(s).chunk(id) ON DELETE CASCADE,
                    freq int NOT NULL, PRIMARY KEY (term, chunk_id))
                """,
                "CREATE INDEX chunk_term_on_chunk_id ON \(s).chunk_term (chunk_id)",
            ]
        },
        PostgresMigration(name: "v2: conversations, turns, feedback") { s in
            [
                "CREATE TABLE \(s).conversation (id text PRIMARY KEY, created_at timestamptz NOT NULL)",
                """
                CREATE TABLE \(s).turn (
                    id bigserial PRIMARY KEY, conversation_id text NOT NULL REFERENCES \(s).conversation(id) ON DELETE CASCADE,
                    question text NOT NULL, standalone_question text NOT NULL, answer text NOT NULL, mode text NOT NULL,
                    sources text NOT NULL, asked_at timestamptz NOT NULL)
                """,
                "CREATE INDEX turn_on_conversation_id ON \(s).turn (conversation_id)",
                """
                CREATE TABLE \(s).feedback (
                    id bigserial PRIMARY KEY, vote text NOT NULL, comment text, question text NOT NULL, answer text NOT NULL,
                    sources text, conversation_id text, embedding_model text NOT NULL, chat_model text NOT NULL,
                    given_at timestamptz NOT NULL)
                """,
            ]
        },
        PostgresMigration(name: "v3: sparse vectors") { s in
            // SparseVector.bytes: the count, the indices, the values (little-endian).
            ["ALTER TABLE \(s).chunk ADD COLUMN sparse bytea"]
        },
    ]
}
