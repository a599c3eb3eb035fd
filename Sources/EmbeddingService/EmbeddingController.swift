import Foundation
import GuicheAPI
import Hummingbird
import LlamaRuntime
import ServiceSupport

/// The embedding service's routes.
public struct EmbeddingController<Context: RequestContext>: Sendable {
    let batcher: EmbeddingBatcher
    let modelName: String
    let maxTextsPerRequest: Int
    let prefixes: EmbeddingPrefixes
    let fingerprint: String

    /// - Parameters:
    ///   - maxTextsPerRequest: larger requests are refused with 400 (documented limit).
    ///   - prefixes: prepended to queries and documents for models trained with them.
    public init(batcher: EmbeddingBatcher, modelName: String, maxTextsPerRequest: Int, prefixes: EmbeddingPrefixes = .init()) {
        self.batcher = batcher
        self.modelName = modelName
        self.maxTextsPerRequest = maxTextsPerRequest
        self.prefixes = prefixes
        self.fingerprint = batcher.embedder.fingerprint
    }

    public func addRoutes(to router: Router<Context>) {
        router.post("/embed", use: embed)
        router.post("/v1/embeddings", use: openAIEmbeddings)
        router.get("/health", use: health)
    }

    @Sendable func embed(request: Request, context: Context) async throws -> EmbedResponse {
        let body = try await JSONRequest.decode(EmbedRequest.self, from: request, context: context)
        try check(body.texts, field: "texts")
        let kind = try body.tipo.map(EmbeddingInputKind.init(tipo:)) ?? .document
        let sparse = body.sparse ?? false
        if sparse, batcher.embedder.sparseHead == nil {
            throw APIError.invalidRequest("this embedding model has no sparse head (SPARSE_HEAD); ask without 'sparse'", param: "sparse")
        }
        let vectors = try await batcher.embed(body.texts, prefix: prefixes.prefix(for: kind), sparse: sparse).vectors
        return EmbedResponse(
            embeddings: vectors.map(\.dense),
            sparseEmbeddings: sparse ? vectors.map { SparseEmbedding(indices: $0.sparse?.indices ?? [], values: $0.sparse?.values ?? []) } : nil)
    }

    @Sendable func openAIEmbeddings(request: Request, context: Context) async throws -> OpenAIEmbeddingResponse {
        let body = try await JSONRequest.decode(OpenAIEmbeddingRequest.self, from: request, context: context)
        let texts = body.input.values
        try check(texts, field: "input")
        let embedder = batcher.embedder
        if let dimensions = body.dimensions, dimensions != embedder.dimensions {
            throw APIError.invalidRequest("this model gives \(embedder.dimensions) dimensions; 'dimensions' cannot change that", param: "dimensions")
        }
        let result = try await batcher.embed(texts, prefix: prefixes.prefix(for: body.inputType.map(EmbeddingInputKind.init) ?? .document))
        let base64 = body.encodingFormat == .base64
        return OpenAIEmbeddingResponse(
            data: result.embeddings.enumerated().map { index, vector in
                .init(index: index, embedding: base64 ? .base64(OpenAIEmbeddingResponse.base64(vector)) : .float(vector))
            },
            model: body.model ?? modelName,
            usage: .init(promptTokens: result.tokens, totalTokens: result.tokens))
    }

    @Sendable func health(request: Request, context: Context) async throws -> EmbeddingHealth {
        EmbeddingHealth(
            ready: true, model: modelName, dimensions: batcher.embedder.dimensions,
            maxInputTokens: batcher.embedder.maxInputTokens, maxTextsPerRequest: maxTextsPerRequest,
            modelFingerprint: fingerprint, queryPrefix: prefixes.query, documentPrefix: prefixes.document,
            sparseFeatures: batcher.embedder.sparseHead?.features ?? 0)
    }

    private func check(_ texts: [String], field: String) throws {
        if texts.isEmpty {
            throw APIError.invalidRequest("'\(field)' is empty; send at least one text", param: field)
        }
        if texts.count > maxTextsPerRequest {
            throw APIError.invalidRequest("'\(field)' has \(texts.count) texts; at most \(maxTextsPerRequest) per request", param: field)
        }
        if let index = texts.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
            throw APIError.invalidRequest("\(field)[\(index)] is empty", param: "\(field)[\(index)]")
        }
    }
}
