import Foundation
import Hummingbird

// The embedding service's contract: its own `/embed`, OpenAI's `/v1/embeddings`, and `/health`.

/// `POST /embed` — the original system's contract, plus an optional `tipo` and `sparse`.
public struct EmbedRequest: Codable, Sendable {
    public var texts: [String]
    /// `consulta` (a question) or `documento` (a passage to index); default `documento`.
    public var tipo: String?
    /// Also return each text's sparse vector (a model with a sparse head only; default false).
    public var sparse: Bool?

    public init(texts: [String], tipo: String?, sparse: Bool? = nil) {
        self.texts = texts
        self.tipo = tipo
        self.sparse = sparse
    }
}

/// A sparse vector on the wire: the features that are not zero, ascending, with their weights.
public struct SparseEmbedding: Codable, Sendable, Equatable {
    public var indices: [Int32]
    public var values: [Float]

    public init(indices: [Int32], values: [Float]) {
        self.indices = indices
        self.values = values
    }
}

/// The answer of `POST /embed`: one vector per text, in order, and the sparse ones when asked.
public struct EmbedResponse: ResponseCodable, Sendable {
    public var embeddings: [[Float]]
    public var sparseEmbeddings: [SparseEmbedding]?

    public init(embeddings: [[Float]], sparseEmbeddings: [SparseEmbedding]? = nil) {
        self.embeddings = embeddings
        self.sparseEmbeddings = sparseEmbeddings
    }

    enum CodingKeys: String, CodingKey {
        case embeddings
        case sparseEmbeddings = "sparse_embeddings"
    }
}

/// `POST /v1/embeddings` — OpenAI's contract.
public struct OpenAIEmbeddingRequest: Codable, Sendable {
    public enum EncodingFormat: String, Codable, Sendable {
        case float, base64
    }

    /// `query` or `document` (default), for models with query/document prefixes.
    public enum InputType: String, Codable, Sendable {
        case query, document
    }

    /// One string or an array of strings (token-id arrays are not accepted).
    public var input: OneOrMany
    public var model: String?
    public var inputType: InputType?
    public var encodingFormat: EncodingFormat?
    public var dimensions: Int?
    public var user: String?

    public init(input: OneOrMany, inputType: InputType? = nil, encodingFormat: EncodingFormat? = nil) {
        self.input = input
        self.inputType = inputType
        self.encodingFormat = encodingFormat
    }

    enum CodingKeys: String, CodingKey {
        case input, model, dimensions, user
        case inputType = "input_type"
        case encodingFormat = "encoding_format"
    }
}

/// The answer of `POST /v1/embeddings`.
public struct OpenAIEmbeddingResponse: ResponseCodable, Sendable {
    public struct Item: Codable, Sendable {
        /// Floats, or little-endian float32 bytes in base64 (`encoding_format: "base64"`).
        public enum Vector: Codable, Sendable {
            case float([Float])
            case base64(String)

            public init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) {
                    self = .base64(text)
                } else {
                    self = .float(try container.decode([Float].self))
                }
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .float(let values): try container.encode(values)
                case .base64(let text): try container.encode(text)
                }
            }
        }

        public var object = "embedding"
        public var index: Int
        public var embedding: Vector

        public init(index: Int, embedding: Vector) {
            self.index = index
            self.embedding = embedding
        }
    }

    public struct Usage: Codable, Sendable {
        public var promptTokens: Int
        public var totalTokens: Int

        public init(promptTokens: Int, totalTokens: Int) {
            self.promptTokens = promptTokens
            self.totalTokens = totalTokens
        }

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case totalTokens = "total_tokens"
        }
    }

    public var object = "list"
    public var data: [Item]
    public var model: String
    public var usage: Usage

    public init(data: [Item], model: String, usage: Usage) {
        self.data = data
        self.model = model
        self.usage = usage
    }

    /// Little-endian float32 bytes in base64, as OpenAI's `encoding_format: "base64"`.
    public static func base64(_ vector: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }
}

/// `GET /health` of the embedding service: the model and how to talk to it.
public struct EmbeddingHealth: ResponseCodable, Sendable {
    public var status = "ok"
    public var ready: Bool
    public var model: String
    public var dimensions: Int
    public var maxInputTokens: Int
    public var maxTextsPerRequest: Int
    public var modelFingerprint: String
    public var queryPrefix: String
    public var documentPrefix: String
    /// Features of the model's sparse head (`sparse: true` in `/embed`); 0 without one.
    public var sparseFeatures: Int

    public init(
        ready: Bool, model: String, dimensions: Int, maxInputTokens: Int, maxTextsPerRequest: Int, modelFingerprint: String,
        queryPrefix: String, documentPrefix: String, sparseFeatures: Int = 0
    ) {
        self.sparseFeatures = sparseFeatures
        self.ready = ready
        self.model = model
        self.dimensions = dimensions
        self.maxInputTokens = maxInputTokens
        self.maxTextsPerRequest = maxTextsPerRequest
        self.modelFingerprint = modelFingerprint
        self.queryPrefix = queryPrefix
        self.documentPrefix = documentPrefix
    }

    enum CodingKeys: String, CodingKey {
        case status, ready, model, dimensions
        case modelFingerprint = "model_fingerprint"
        case queryPrefix = "query_prefix"
        case documentPrefix = "document_prefix"
        case maxInputTokens = "max_input_tokens"
        case maxTextsPerRequest = "max_texts_per_request"
        case sparseFeatures = "sparse_features"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            ready: try container.decode(Bool.self, forKey: .ready), model: try container.decode(String.self, forKey: .model),
            dimensions: try container.decode(Int.self, forKey: .dimensions),
            maxInputTokens: try container.decode(Int.self, forKey: .maxInputTokens),
            maxTextsPerRequest: try container.decode(Int.self, forKey: .maxTextsPerRequest),
            modelFingerprint: try container.decode(String.self, forKey: .modelFingerprint),
            queryPrefix: try container.decode(String.self, forKey: .queryPrefix),
            documentPrefix: try container.decode(String.self, forKey: .documentPrefix),
            // A service from before sparse heads does not send it.
            sparseFeatures: try container.decodeIfPresent(Int.self, forKey: .sparseFeatures) ?? 0)
        self.status = try container.decodeIfPresent(String.self, forKey: .status) ?? "ok"
    }
}
