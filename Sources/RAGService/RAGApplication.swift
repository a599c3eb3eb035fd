import Foundation
import Hummingbird
import Logging
import RAGCore
import ServiceSupport

/// The rag service's router: `/chat`, `/chat/stream`, `/v1/chat/completions`, `/ingest`,
/// `/documents`, `/health`, `/metrics`, `/openapi.yaml`.
public func buildRAGRouter(
    knowledge: KnowledgeBase, embeddingModelName: String, chatModelName: String, metrics: ServiceMetrics
) throws -> Router<BasicRequestContext> {
    let controller = RAGController<BasicRequestContext>(
        knowledge: knowledge, embeddingModelName: embeddingModelName, chatModelName: chatModelName,
        metrics: RAGMetrics(metrics: metrics, knowledge: knowledge))
    return try makeServiceRouter(metrics: metrics, openAPIDocument: ragOpenAPIDocument, routes: controller.addRoutes)
}

/// The OpenAPI document of the rag service (Sources/RAGService/openapi.yaml).
public let ragOpenAPIDocument = Bundle.module.url(forResource: "openapi", withExtension: "yaml")!
