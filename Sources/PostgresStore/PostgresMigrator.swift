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
    var migrations: [PostgresMigration]

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
}
