import Foundation
import Hummingbird
import RAGCore

/// `POST /conversas` → 201 `{"id", "criada_em", "turnos": []}`; `GET /conversas/{id}` → the same
/// with its turns.
public struct ConversaResponse: ResponseCodable, Sendable {
    public var id: String
    public var criadaEm: Date
    public var turnos: [Turno]

    /// A question of the conversation and its answer.
    public struct Turno: Codable, Sendable {
        public var pergunta: String
        public var perguntaReformulada: String
        public var resposta: String
        public var modo: String
        public var fontes: [Fonte]
        public var em: Date

        enum CodingKeys: String, CodingKey {
            case pergunta, resposta, modo, fontes, em
            case perguntaReformulada = "pergunta_reformulada"
        }
    }

    init(_ conversation: Conversation) {
        id = conversation.id
        criadaEm = conversation.createdAt
        turnos = conversation.turns.map {
            Turno(
                pergunta: $0.question, perguntaReformulada: $0.standaloneQuestion, resposta: $0.answer, modo: $0.mode,
                fontes: (try? JSONDecoder().decode([Fonte].self, from: Data($0.sources.utf8))) ?? [], em: $0.askedAt)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, turnos
        case criadaEm = "criada_em"
    }
}

/// `POST /feedback`: 👍 (`positivo`) or 👎 (`negativo`) on an answer, with an optional comment.
struct FeedbackRequest: Decodable {
    var voto: Feedback.Vote
    var comentario: String?
    var pergunta: String
    var resposta: String
    var fontes: [Fonte]?
    var conversa: String?
}

/// One line of `GET /feedback` (JSON lines): the vote with what was asked and answered.
struct FeedbackLine: Encodable {
    var voto: String
    var comentario: String?
    var pergunta: String
    var resposta: String
    var fontes: [Fonte]?
    var conversa: String?
    var modeloEmbedding: String
    var modeloChat: String
    var em: Date

    init(_ feedback: Feedback) {
        voto = feedback.vote.rawValue
        comentario = feedback.comment
        pergunta = feedback.question
        resposta = feedback.answer
        fontes = feedback.sources.flatMap { try? JSONDecoder().decode([Fonte].self, from: Data($0.utf8)) }
        conversa = feedback.conversationID
        modeloEmbedding = feedback.embeddingModel
        modeloChat = feedback.chatModel
        em = feedback.givenAt
    }

    enum CodingKeys: String, CodingKey {
        case voto, comentario, pergunta, resposta, fontes, conversa, em
        case modeloEmbedding = "modelo_embedding"
        case modeloChat = "modelo_chat"
    }
}
