import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import PostgresStore
import RAGCore

/// `body`, cancelled with `DeadlinePassed` when it runs longer than `limit` (a connection pool
/// waits for a server that does not answer rather than failing).
func withDeadline<Result: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DeadlinePassed(limit: limit)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

struct DeadlinePassed: Error, CustomStringConvertible {
    var limit: Duration
    var description: String { "no answer within \(limit)" }
}

/// A collection's index and, opened when a service needs them, its conversations and feedback.
struct CollectionStores {
    var index: any IndexStore
    var conversations: () throws -> any ConversationStore
}

extension RAGSettings {
    /// Runs `body` with the collection's stores: SQLite under `databaseDirectory` (the index, and
    /// `<collection>.conversas.sqlite` beside it), or PostgreSQL at `DATABASE_URL` (migrated first),
    /// whose connection pool runs for as long as `body` does.
    func withStores<Result>(logger: Logger, _ body: (CollectionStores) async throws -> Result) async throws -> Result {
        guard let databaseURL else {
            let (directory, collection) = (databaseDirectory, collection)
            return try await body(CollectionStores(
                index: try SQLiteIndexStore(path: SQLiteIndexStore.path(directory: directory, collection: collection)),
                conversations: { try SQLiteConversationStore(path: SQLiteConversationStore.path(directory: directory, collection: collection)) }))
        }
        let client = PostgresClient(configuration: databaseURL.clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let store = PostgresIndexStore(client: client, collection: collection, logger: logger)
            // The database may still be starting (a stack deployed at once): wait for it a while.
            var attempt = 1
            while true {
                do {
                    try await withDeadline(.seconds(10)) { try await store.migrate() }
                    break
                } catch where attempt < Self.databaseAttempts {
                    logger.warning("database not reachable yet; retrying", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                    attempt += 1
                    try await Task.sleep(for: .seconds(2))
                } catch {
                    throw ValidationError("DATABASE_URL: could not open the collection's schema \(store.schema): \(String(reflecting: error))")
                }
            }
            let conversations = PostgresConversationStore(client: client, collection: collection, logger: logger)
            return try await body(CollectionStores(index: store, conversations: { conversations }))
        }
    }

    /// Tries to reach the database at startup, each up to 10 s, 2 s apart.
    static let databaseAttempts = 6
}
