import Foundation
import GRDB

/// Conversations and feedback in SQLite (`.rag_db/<COLLECTION_NAME>.conversas.sqlite`), apart from
/// the index: re-indexing never touches them.
public final class SQLiteConversationStore: ConversationStore {
    private let database: DatabaseQueue

    /// Opens (creating and migrating when needed) the database at `path`; nil opens an in-memory one.
    public init(path: String?) throws {
        database = try SQLiteIndexStore.open(path: path, migrator: Self.migrator)
    }

    /// The conversations database of collection `name` under `directory`.
    public static func path(directory: String, collection name: String) -> String {
        let index = SQLiteIndexStore.path(directory: directory, collection: name)
        return (index as NSString).deletingPathExtension + ".conversas.sqlite"
    }

    /// Named, frozen migrations: add new ones, never edit these.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: conversations, turns, feedback") { db in
            try db.create(table: "conversation") { t in
                t.primaryKey("id", .text)
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "turn") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("conversation_id", .text).notNull().indexed().references("conversation", onDelete: .cascade)
                t.column("question", .text).notNull()
                t.column("standalone_question", .text).notNull()
                t.column("answer", .text).notNull()
                t.column("mode", .text).notNull()
                t.column("sources", .text).notNull()
                t.column("asked_at", .datetime).notNull()
            }
            try db.create(table: "feedback") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("vote", .text).notNull()
                t.column("comment", .text)
                t.column("question", .text).notNull()
                t.column("answer", .text).notNull()
                t.column("sources", .text)
                t.column("conversation_id", .text)
                t.column("embedding_model", .text).notNull()
                t.column("chat_model", .text).notNull()
                t.column("given_at", .datetime).notNull()
            }
        }
        return migrator
    }()

    public func startConversation() async throws -> Conversation {
        let conversation = Conversation(id: UUID().uuidString.lowercased(), createdAt: Date(), turns: [])
        try await database.write { db in
            try db.execute(sql: "INSERT INTO conversation (id, created_at) VALUES (?, ?)", arguments: [conversation.id, conversation.createdAt])
        }
        return conversation
    }

    public func conversation(id: String) async throws -> Conversation? {
        try await database.read { db in
            guard let created = try Date.fetchOne(db, sql: "SELECT created_at FROM conversation WHERE id = ?", arguments: [id]) else { return nil }
            let turns = try Row.fetchAll(db, sql: """
                SELECT question, standalone_question, answer, mode, sources, asked_at FROM turn WHERE conversation_id = ? ORDER BY id
                """, arguments: [id]).map { row in
                Conversation.Turn(
                    question: row["question"], standaloneQuestion: row["standalone_question"], answer: row["answer"], mode: row["mode"],
                    sources: row["sources"], askedAt: row["asked_at"])
            }
            return Conversation(id: id, createdAt: created, turns: turns)
        }
    }

    public func append(_ turn: Conversation.Turn, to id: String) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO turn (conversation_id, question, standalone_question, answer, mode, sources, asked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, turn.question, turn.standaloneQuestion, turn.answer, turn.mode, turn.sources, turn.askedAt])
        }
    }

    public func record(_ feedback: Feedback) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO feedback (vote, comment, question, answer, sources, conversation_id, embedding_model, chat_model, given_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    feedback.vote.rawValue, feedback.comment, feedback.question, feedback.answer, feedback.sources, feedback.conversationID,
                    feedback.embeddingModel, feedback.chatModel, feedback.givenAt,
                ])
        }
    }

    public func feedback() async throws -> [Feedback] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM feedback ORDER BY id").map { row in
                Feedback(
                    vote: Feedback.Vote(rawValue: row["vote"]) ?? .negativo, comment: row["comment"], question: row["question"],
                    answer: row["answer"], sources: row["sources"], conversationID: row["conversation_id"],
                    embeddingModel: row["embedding_model"], chatModel: row["chat_model"], givenAt: row["given_at"])
            }
        }
    }
}
