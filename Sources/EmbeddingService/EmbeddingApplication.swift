import Foundation
import Hummingbird
import LlamaRuntime
import Logging
import ServiceSupport

/// Settings of the embedding service (see `guiche serve embedding --help` for the variables).
public struct EmbeddingServiceSettings: Sendable {
    public var host: String
    public var port: Int
    /// Texts merged into one forward pass (`EMBEDDING_BATCH_SIZE`).
    public var batchSize: Int
    /// Most texts one request may carry.
    public var maxTextsPerRequest: Int
    /// Query/document prefixes (`EMBEDDING_QUERY_PREFIX`, `EMBEDDING_DOCUMENT_PREFIX`); nil uses
    /// the ones recorded in the model's GGUF.
    public var prefixes: EmbeddingPrefixes?

    public init(host: String = "0.0.0.0", port: Int = 8001, batchSize: Int = 32, maxTextsPerRequest: Int = 256, prefixes: EmbeddingPrefixes? = nil) {
        self.host = host
        self.port = port
        self.batchSize = batchSize
        self.maxTextsPerRequest = maxTextsPerRequest
        self.prefixes = prefixes
    }
}

/// The embedding service's router: `/embed`, `/v1/embeddings`, `/health`, `/metrics`, `/openapi.yaml`.
public func buildEmbeddingRouter(embedder: Embedder, settings: EmbeddingServiceSettings, metrics: ServiceMetrics) throws -> Router<ServiceRequestContext> {
    let batcher = EmbeddingBatcher(embedder: embedder, maxTextsPerPass: settings.batchSize, metrics: metrics.registry)
    let controller = EmbeddingController<ServiceRequestContext>(
        batcher: batcher, modelName: embedder.model.name, maxTextsPerRequest: settings.maxTextsPerRequest,
        prefixes: settings.prefixes ?? EmbeddingPrefixes(model: embedder.model))
    return try makeServiceRouter(metrics: metrics, openAPIDocument: embeddingOpenAPIDocument, routes: controller.addRoutes)
}

/// The embedding service as a Hummingbird application (what `guiche serve embedding` runs).
public func buildEmbeddingApplication(
    embedder: Embedder, settings: EmbeddingServiceSettings, metrics: ServiceMetrics = ServiceMetrics(), logger: Logger
) throws -> some ApplicationProtocol {
    Application(
        router: try buildEmbeddingRouter(embedder: embedder, settings: settings, metrics: metrics),
        server: serviceHTTPServer(),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "guiche-embedding"),
        logger: logger)
}

/// The OpenAPI document of the embedding service (Sources/EmbeddingService/openapi.yaml).
public let embeddingOpenAPIDocument = Bundle.module.url(forResource: "openapi", withExtension: "yaml")!
