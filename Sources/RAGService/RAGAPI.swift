import Foundation
import Hummingbird
import RAGCore

/// `POST /chat` — the original system's contract.
struct ChatRequest: Decodable {
    var pergunta: String
    var topK: Int?
    var stream: Bool?

    enum CodingKeys: String, CodingKey {
        case pergunta, stream
        case topK = "top_k"
    }
}

/// One source of an answer, in the original system's Portuguese field names.
struct Fonte: Codable, Equatable {
    var documento: String
    var titulo: String
    var localizacao: String
    var trecho: String
    var pontuacao: Float

    init(_ source: RetrievedSource) {
        documento = source.documentPath
        titulo = source.documentTitle
        localizacao = source.location
        trecho = source.text
        pontuacao = (source.similarity * 1000).rounded() / 1000
    }
}

struct ChatResponse: ResponseEncodable {
    var resposta: String
    var fontes: [Fonte]
}

struct DocumentsResponse: ResponseEncodable {
    struct Document: Encodable {
        var documento: String
        var titulo: String
        var formato: String
        var trechos: Int
        var indexadoEm: Date

        enum CodingKeys: String, CodingKey {
            case documento, titulo, formato, trechos
            case indexadoEm = "indexado_em"
        }
    }
    var documentos: [Document]
}

struct IngestResponse: ResponseEncodable {
    var report: IngestReport

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
    }
}

struct RAGHealth: ResponseEncodable {
    var status: String
    var ready: Bool
    var documents: Int
    var chunks: Int
    var embeddingModel: String
    var chatModel: String
    /// Reachability of the model services (distributed shape; empty when the models are in-process).
    var services: [String: Bool]

    enum CodingKeys: String, CodingKey {
        case status, ready, documents, chunks, services
        case embeddingModel = "embedding_model"
        case chatModel = "chat_model"
    }
}

/// `POST /v1/chat/completions` for OpenAI clients: the last user message is the question.
struct RAGChatCompletionRequest: Decodable {
    struct Message: Decodable {
        var role: String
        var content: String?
    }
    var model: String?
    var messages: [Message]
    var stream: Bool?
}
