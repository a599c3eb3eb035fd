import Foundation
import Hummingbird
import RAGCore
import ServiceSupport

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
public struct Fonte: Codable, Equatable, Sendable {
    public var documento: String
    public var titulo: String
    public var localizacao: String
    public var trecho: String
    public var pontuacao: Float

    init(_ source: RetrievedSource) {
        documento = source.documentPath
        titulo = source.documentTitle
        localizacao = source.location
        trecho = source.text
        pontuacao = (source.similarity * 1000).rounded() / 1000
    }
}

/// The answer of `POST /chat`: what the service writes and what a client (`guiche eval --url`) reads.
public struct ChatResponse: ResponseCodable, Sendable {
    public var resposta: String
    public var fontes: [Fonte]
    /// True when the chatbot declined for lack of evidence.
    public var recusada: Bool
    public var tempos: Tempos

    /// Where the answer's time went, in milliseconds: `modelo` is the models' share (question
    /// embedding + the generator's own account); `total` minus `modelo` is everything else.
    public struct Tempos: Codable, Sendable {
        public var total: Double
        public var embedding: Double
        public var busca: Double
        public var primeiroToken: Double?
        public var geracao: Double
        public var modelo: Double

        init(_ timings: Answer.Timings) {
            total = (timings.retrieval + timings.generation).inMilliseconds
            embedding = timings.embedding.inMilliseconds
            busca = (timings.retrieval - timings.embedding).inMilliseconds
            primeiroToken = timings.timeToFirstToken?.inMilliseconds
            geracao = timings.generation.inMilliseconds
            modelo = timings.model.inMilliseconds
        }

        enum CodingKeys: String, CodingKey {
            case total, embedding, busca, geracao, modelo
            case primeiroToken = "primeiro_token"
        }
    }
}

/// `POST /search {"pergunta", "top_k"?}`: the sources retrieval finds, without an answer.
public struct SearchRequest: Codable, Sendable {
    public var pergunta: String
    public var topK: Int?

    public init(pergunta: String, topK: Int?) {
        self.pergunta = pergunta
        self.topK = topK
    }

    enum CodingKeys: String, CodingKey {
        case pergunta
        case topK = "top_k"
    }
}

/// The sources for a question, best first, and the search's time in milliseconds.
public struct SearchResponse: ResponseCodable, Sendable {
    public var fontes: [Fonte]
    public var buscaMs: Double

    enum CodingKeys: String, CodingKey {
        case fontes
        case buscaMs = "busca_ms"
    }
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
