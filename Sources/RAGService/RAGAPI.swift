import Foundation
import Hummingbird
import RAGCore
import ServiceSupport

/// `POST /chat` — the original system's contract.
struct ChatRequest: Decodable {
    var pergunta: String
    var topK: Int?
    var stream: Bool?
    /// A conversation (`POST /conversas`) this question continues: it is made standalone from
    /// the conversation's last question, and the turn is added to it.
    var conversa: String?

    enum CodingKeys: String, CodingKey {
        case pergunta, stream, conversa
        case topK = "top_k"
    }
}

/// One source of an answer, in the original system's Portuguese field names; `citacao` and
/// `citados` name and quote the units of it the answer rests on (absent when it rests on none).
public struct Fonte: Codable, Equatable, Sendable {
    public var documento: String
    public var titulo: String
    public var localizacao: String
    public var trecho: String
    public var pontuacao: Float
    /// The citations of the quoted units, "; "-separated ("Lei nº 8.069/1990, art. 46, § 3º").
    public var citacao: String?
    public var citados: [Citado]?
    /// The passage in the service's document view: `/documentos/<documento>?trechos=<ids>#trecho-<id>`.
    public var link: String?

    /// A unit the answer quotes, with its citation.
    public struct Citado: Codable, Equatable, Sendable {
        public var citacao: String
        public var texto: String
    }

    /// `source` with the evidence units taken from it (those whose `source` is `index`).
    init(_ source: RetrievedSource, index: Int = -1, evidence: [EvidenceUnit] = []) {
        documento = source.documentPath
        titulo = source.documentTitle
        localizacao = source.location
        trecho = source.text
        pontuacao = (source.similarity * 1000).rounded() / 1000
        link = Self.link(document: source.documentPath, chunks: source.chunkIDs)
        let quoted = evidence.filter { $0.source == index }
        if !quoted.isEmpty {
            var citations: [String] = []
            for unit in quoted where !citations.contains(unit.citation) { citations.append(unit.citation) }
            citacao = citations.joined(separator: "; ")
            citados = quoted.map { Citado(citacao: $0.citation, texto: $0.text) }
        }
    }

    /// Where the document view shows `chunks` of `document`, highlighted.
    static func link(document: String, chunks: [Int64]) -> String {
        let path = document.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? document
        let ids = chunks.sorted()
        return "/documentos/\(path)?trechos=\(ids.map(String.init).joined(separator: ","))" + (ids.first.map { "#trecho-\($0)" } ?? "")
    }

    /// The sources of an answer with their quoted units.
    static func list(_ sources: [RetrievedSource], evidence: [EvidenceUnit]) -> [Fonte] {
        sources.enumerated().map { Fonte($1, index: $0, evidence: evidence) }
    }
}

/// The answer of `POST /chat`: what the service writes and what a client (`guiche eval --url`) reads.
public struct ChatResponse: ResponseCodable, Sendable {
    public var resposta: String
    public var fontes: [Fonte]
    /// True when the chatbot declined for lack of evidence.
    public var recusada: Bool
    /// "gerada", "extrativa" or "recusa" (see `AnswerMode`).
    public var modo: AnswerMode?
    public var tempos: Tempos
    /// In a conversation: the question made standalone, as retrieval searched it, and the conversation.
    public var perguntaReformulada: String?
    public var conversa: String?

    enum CodingKeys: String, CodingKey {
        case resposta, fontes, recusada, modo, tempos, conversa
        case perguntaReformulada = "pergunta_reformulada"
    }

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

/// The first event of a streamed `/chat` answer: its sources and, in a conversation, the
/// standalone question and the conversation.
struct StreamStart: Encodable {
    var fontes: [Fonte]
    var perguntaReformulada: String?
    var conversa: String?

    enum CodingKeys: String, CodingKey {
        case fontes, conversa
        case perguntaReformulada = "pergunta_reformulada"
    }
}

/// The last event of a streamed `/chat` answer before `[DONE]`: how the answer was made.
public struct StreamEnd: Codable, Sendable {
    public var modo: AnswerMode
    public var recusada: Bool
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
    /// Documents the last sync could not index, with the reason.
    var falhas: [Failure]

    struct Failure: Encodable {
        var documento: String
        var motivo: String
    }
}

/// `POST /ingest`'s optional body.
struct IngestRequest: Decodable {
    /// Remove the documents deleted from the folder even when they are most of the index.
    var forcar: Bool?
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

/// A chat completion (or its first streamed chunk) with the answer's sources beside the OpenAI
/// fields, for clients that show them.
struct WithSources<Completion: Encodable & Sendable>: ResponseEncodable, Sendable {
    var completion: Completion
    var fontes: [Fonte]
    /// The question as retrieval searched it, when earlier messages made it standalone.
    var perguntaReformulada: String? = nil

    enum CodingKeys: String, CodingKey {
        case fontes
        case perguntaReformulada = "pergunta_reformulada"
    }

    func encode(to encoder: any Encoder) throws {
        try completion.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(fontes, forKey: .fontes)
        try container.encodeIfPresent(perguntaReformulada, forKey: .perguntaReformulada)
    }
}

