import Foundation
import Logging
import PostgresNIO
import RAGCore

/// Conversations and feedback in the collection's PostgreSQL schema, beside the index (a reset of
/// the index leaves them): every rag replica continues any conversation.
public final class PostgresConversationStore: ConversationStore {
    private let client: PostgresClient
    private let logger: Logger
    private let schema: String

    /// The store of `collection` over `client` (whose `run()` must be running); call `migrate()` first.
    public init(client: PostgresClient, collection: String, logger: Logger) {
        self.client = client
        self.logger = logger
        schema = PostgresIndexStore.schema(for: collection)
    }

    public func migrate() async throws {
        try await PostgresMigrator(schema: schema).migrate(client: client, logger: logger)
    }

    public func startConversation() async throws -> Conversation {
        let conversation = Conversation(id: UUID().uuidString.lowercased(), createdAt: Date(), turns: [])
        try await client.query(
            "INSERT INTO \(unescaped: schema).conversation (id, created_at) VALUES (\(conversation.id), \(conversation.createdAt))", logger: logger)
        return conversation
    }

    public func conversation(id: String) async throws -> Conversation? {
        var created: Date?
        for try await date in try await client.query(
            "SELECT created_at FROM \(unescaped: schema).conversation WHERE id = \(id)", logger: logger
        ).decode(Date.self) { created = date }
        guard let created else { return nil }
        var turns: [Conversation.Turn] = []
        let rows = try await client.query(
            """
            SELECT question, standalone_question, answer, mode, sources, asked_at FROM \(unescaped: schema).turn
            WHERE conversation_id = \(id) ORDER BY id
            """, logger: logger)
        for try await (question, standalone, answer, mode, sources, askedAt) in rows.decode((String, String, String, String, String, Date).self) {
            turns.append(.init(question: question, standaloneQuestion: standalone, answer: answer, mode: mode, sources: sources, askedAt: askedAt))
        }
        return Conversation(id: id, createdAt: created, turns: turns)
    }

    public func append(_ turn: Conversation.Turn, to id: String) async throws {
        try await client.query(
            """
            INSERT INTO \(unescaped: schema).turn (conversation_id, question, standalone_question, answer, mode, sources, asked_at)
            VALUES (\(id), \(turn.question), \(turn.standaloneQuestion), \(turn.answer), \(turn.mode), \(turn.sources), \(turn.askedAt))
            """, logger: logger)
    }

    public func record(_ feedback: Feedback) async throws {
        try await client.query(
            """
            INSERT INTO \(unescaped: schema).feedback
                (vote, comment, question, answer, sources, conversation_id, embedding_model, chat_model, given_at)
            VALUES (\(feedback.vote.rawValue), \(feedback.comment), \(feedback.question), \(feedback.answer), \(feedback.sources),
                    \(feedback.conversationID), \(feedback.embeddingModel), \(feedback.chatModel), \(feedback.givenAt))
            """, logger: logger)
    }

    public func feedback() async throws -> [Feedback] {
        var all: [Feedback] = []
        let rows = try await client.query(
            """
            SELECT vote, comment, question, answer, sources, conversation_id, embedding_model, chat_model, given_at
            FROM \(unescaped: schema).feedback ORDER BY id
            """, logger: logger)
        for try await (vote, comment, question, answer, sources, conversation, embeddingModel, chatModel, givenAt) in rows.decode(
            (String, String?, String, String, String?, String?, String, String, Date).self)
        {
            all.append(Feedback(
                vote: Feedback.Vote(rawValue: vote) ?? .negativo, comment: comment, question: question, answer: answer, sources: sources,
                conversationID: conversation, embeddingModel: embeddingModel, chatModel: chatModel, givenAt: givenAt))
        }
        return all
    }
}
