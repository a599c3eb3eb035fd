import AsyncHTTPClient
import GuicheAPI
import LlamaRuntime
import Logging
import RAGCore
import ServiceSupport

/// The embedding model behind an embedding service, as the RAG core's `TextEmbedding`.
public struct RemoteEmbedding: TextEmbedding {
    private let client: EmbeddingServiceClient
    private let tokenizer: LlamaModel?
    private let documentPrefix: String
    /// The service's model has a sparse head: `vectors` asks for sparse vectors too.
    private let sparse: Bool
    public let fingerprint: EmbeddingModelFingerprint
    public let maxInputTokens: Int

    /// Waits (retrying, up to `wait`) until the service answers `/health`.
    /// - Parameter tokenizer: the same model loaded vocabulary-only, to count tokens locally while
    ///   chunking; without it counts are estimated conservatively (one token per 3 bytes).
    public static func connect(
        _ client: EmbeddingServiceClient, tokenizer: LlamaModel?, wait: Duration = .seconds(120), logger: Logger
    ) async throws -> RemoteEmbedding {
        let deadline = ContinuousClock.now + wait
        while true {
            do {
                return RemoteEmbedding(client: client, tokenizer: tokenizer, health: try await client.health())
            } catch {
                if ContinuousClock.now > deadline { throw UpstreamUnavailable(service: "embedding", url: client.baseURL, reason: "\(error)") }
                logger.notice("waiting for the embedding service", metadata: ["url": "\(client.baseURL)", "reason": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Over a new client of the service at `baseURL`, once it answers.
    public static func connect(
        baseURL: String, tokenizer: LlamaModel?, client: HTTPClient = modelServicesHTTPClient, logger: Logger
    ) async throws -> RemoteEmbedding {
        try await connect(try EmbeddingServiceClient(baseURL: baseURL, client: client, logger: logger), tokenizer: tokenizer, logger: logger)
    }

    private init(client: EmbeddingServiceClient, tokenizer: LlamaModel?, health: EmbeddingHealth) {
        self.client = client
        self.tokenizer = tokenizer
        self.documentPrefix = health.documentPrefix
        self.sparse = health.sparseFeatures > 0
        self.maxInputTokens = health.maxInputTokens
        self.fingerprint = EmbeddingModelFingerprint(name: health.model, dimensions: health.dimensions, fileDigest: health.modelFingerprint)
    }

    /// Whether the service answers now.
    public func isReachable() async -> Bool { await client.isReachable() }

    public func documentTokenCount(_ text: String) throws -> Int {
        if let tokenizer { return try tokenizer.tokenize(documentPrefix + text, addSpecial: true).count }
        return ((documentPrefix + text).utf8.count + 2) / 3 + 2
    }

    /// The service encodes the sparse vectors of a whole request; those past `sparseCount` are
    /// dropped here.
    public func vectors(_ texts: [String], kind: EmbeddingInputKind, sparseCount: Int) async throws -> [TextVectors] {
        let wantsSparse = sparse && sparseCount > 0
        let response = try await client.embed(EmbedRequest(texts: texts, tipo: Self.tipo(kind), sparse: wantsSparse ? true : nil))
        guard wantsSparse else { return response.embeddings.map { TextVectors(dense: $0) } }
        guard let sparseEmbeddings = response.sparseEmbeddings, sparseEmbeddings.count == response.embeddings.count,
              sparseEmbeddings.allSatisfy({ $0.indices.count == $0.values.count })
        else {
            throw UpstreamUnavailable(service: "embedding", url: client.baseURL, reason: "the service sent no sparse vectors, or malformed ones")
        }
        return zip(response.embeddings, sparseEmbeddings).enumerated().map { index, vectors in
            TextVectors(dense: vectors.0, sparse: index < sparseCount ? SparseVector(indices: vectors.1.indices, values: vectors.1.values) : nil)
        }
    }

    private static func tipo(_ kind: EmbeddingInputKind) -> String { kind == .query ? "consulta" : "documento" }
}
