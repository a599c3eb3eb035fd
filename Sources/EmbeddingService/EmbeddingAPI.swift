import Foundation
import Hummingbird
import LlamaRuntime
import ServiceSupport

extension EmbeddingInputKind {
    /// `/embed`'s Portuguese field `tipo`: `consulta` or `documento`.
    init(tipo: String) throws {
        switch tipo {
        case "consulta": self = .query
        case "documento": self = .document
        default: throw APIError.invalidRequest("'tipo' must be \"consulta\" or \"documento\", got \"\(tipo)\"", param: "tipo")
        }
    }
}

/// `POST /embed` — the original system's contract, plus an optional `tipo`.
struct EmbedRequest: Decodable {
    var texts: [String]
    /// `consulta` (a question) or `documento` (a passage to index); default `documento`.
    var tipo: String?
}

struct EmbedResponse: ResponseEncodable {
    var embeddings: [[Float]]
}

/// `POST /v1/embeddings` — OpenAI's contract.
struct OpenAIEmbeddingRequest: Decodable {
    /// One string or an array of strings (token-id arrays are not accepted).
    enum Input: Decodable {
        case one(String)
        case many([String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .one(text)
            } else if let texts = try? container.decode([String].self) {
                self = .many(texts)
            } else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected a string or an array of strings (token-id arrays are not accepted)"))
            }
        }

        var texts: [String] {
            switch self {
            case .one(let text): [text]
            case .many(let texts): texts
            }
        }
    }

    enum EncodingFormat: String, Decodable {
        case float, base64
    }

    var input: Input
    var model: String?
    /// `query` or `document` (default), for models with query/document prefixes.
    var inputType: EmbeddingInputKind?
    var encodingFormat: EncodingFormat?
    var dimensions: Int?
    var user: String?

    enum CodingKeys: String, CodingKey {
        case input, model, dimensions, user
        case inputType = "input_type"
        case encodingFormat = "encoding_format"
    }
}

struct OpenAIEmbeddingResponse: ResponseEncodable {
    struct Item: Encodable {
        enum Vector: Encodable {
            case float([Float])
            case base64(String)

            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .float(let values): try container.encode(values)
                case .base64(let text): try container.encode(text)
                }
            }
        }

        var object = "embedding"
        var index: Int
        var embedding: Vector
    }

    struct Usage: Encodable {
        var promptTokens: Int
        var totalTokens: Int

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case totalTokens = "total_tokens"
        }
    }

    var object = "list"
    var data: [Item]
    var model: String
    var usage: Usage

    /// Little-endian float32 bytes in base64, as OpenAI's `encoding_format: "base64"`.
    static func base64(_ vector: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }
}

struct EmbeddingHealth: ResponseEncodable {
    var status = "ok"
    var ready: Bool
    var model: String
    var dimensions: Int
    var maxInputTokens: Int
    var maxTextsPerRequest: Int
    var modelFingerprint: String
    var queryPrefix: String
    var documentPrefix: String

    enum CodingKeys: String, CodingKey {
        case status, ready, model, dimensions
        case modelFingerprint = "model_fingerprint"
        case queryPrefix = "query_prefix"
        case documentPrefix = "document_prefix"
        case maxInputTokens = "max_input_tokens"
        case maxTextsPerRequest = "max_texts_per_request"
    }
}
