import Foundation

/// A conversation with the chatbot: its turns, oldest first.
public struct Conversation: Sendable, Codable, Equatable {
    public var id: String
    public var createdAt: Date
    public var turns: [Turn]

    public init(id: String, createdAt: Date, turns: [Turn]) {
        self.id = id
        self.createdAt = createdAt
        self.turns = turns
    }

    /// One question and its answer. `sources` is the answer's sources as the API gave them (JSON).
    public struct Turn: Sendable, Codable, Equatable {
        public var question: String
        /// The question made standalone (`FollowUp`): what retrieval searched.
        public var standaloneQuestion: String
        public var answer: String
        public var mode: String
        public var sources: String
        public var askedAt: Date

        public init(question: String, standaloneQuestion: String, answer: String, mode: String, sources: String, askedAt: Date = Date()) {
            self.question = question
            self.standaloneQuestion = standaloneQuestion
            self.answer = answer
            self.mode = mode
            self.sources = sources
            self.askedAt = askedAt
        }
    }
}

/// A citizen's 👍/👎 on an answer, stored with what was asked and answered and the models that
/// answered: the raw material of the next eval set.
public struct Feedback: Sendable, Codable, Equatable {
    public enum Vote: String, Sendable, Codable {
        case positivo, negativo
    }

    public var vote: Vote
    public var comment: String?
    public var question: String
    public var answer: String
    /// The answer's sources as the API gave them (JSON), when the client sent them.
    public var sources: String?
    public var conversationID: String?
    public var embeddingModel: String
    public var chatModel: String
    public var givenAt: Date

    public init(
        vote: Vote, comment: String?, question: String, answer: String, sources: String?, conversationID: String?,
        embeddingModel: String, chatModel: String, givenAt: Date = Date()
    ) {
        self.vote = vote
        self.comment = comment
        self.question = question
        self.answer = answer
        self.sources = sources
        self.conversationID = conversationID
        self.embeddingModel = embeddingModel
        self.chatModel = chatModel
        self.givenAt = givenAt
    }
}

/// Where conversations and feedback live: SQLite in the embedded shape (`SQLiteConversationStore`),
/// PostgreSQL beside a replicated index (`PostgresConversationStore`).
public protocol ConversationStore: Sendable {
    /// A new, empty conversation.
    func startConversation() async throws -> Conversation
    /// The conversation `id`, nil when there is none.
    func conversation(id: String) async throws -> Conversation?
    /// Adds a turn to conversation `id` (which must exist).
    func append(_ turn: Conversation.Turn, to id: String) async throws
    func record(_ feedback: Feedback) async throws
    /// Every feedback, oldest first.
    func feedback() async throws -> [Feedback]
}
