import Foundation
import Hummingbird
import LlamaRuntime
import Logging
import RAGCore
import ServiceSupport

/// The rag service's router: `/chat`, `/chat/stream`, `/v1/chat/completions`, `/ingest`,
/// `/documents`, `/health`, `/metrics`, `/openapi.yaml`.
/// - Parameters:
///   - generator: the in-process chat model (all-in-one shape), whose generation metrics the
///     router serves; nil behind a generator service, which serves its own.
///   - dependencies: reachability of the model services, reported by `/health` (`ready` needs
///     them all); in-process models have none.
public func buildRAGRouter(
    knowledge: KnowledgeBase, embeddingModelName: String, chatModelName: String, metrics: ServiceMetrics, generator: Generator? = nil,
    dependencies: @escaping @Sendable () async -> [String: Bool] = { [:] }
) throws -> Router<BasicRequestContext> {
    let controller = RAGController<BasicRequestContext>(
        knowledge: knowledge, embeddingModelName: embeddingModelName, chatModelName: chatModelName,
        metrics: RAGMetrics(metrics: metrics, knowledge: knowledge, generator: generator), dependencies: dependencies)
    return try makeServiceRouter(metrics: metrics, openAPIDocument: ragOpenAPIDocument, routes: controller.addRoutes)
}

/// The OpenAPI document of the rag service (Sources/RAGService/openapi.yaml).
public let ragOpenAPIDocument = Bundle.module.url(forResource: "openapi", withExtension: "yaml")!
