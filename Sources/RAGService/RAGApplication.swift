import Foundation
import Hummingbird
import LlamaRuntime
import Logging
import RAGCore
import ServiceSupport

/// The rag service's router: `/chat`, `/chat/stream`, `/v1/chat/completions`, `/conversas`,
/// `/feedback`, the web chat (`/`, `/assets`, `/documentos`), `/ingest`, `/documents`, `/health`,
/// `/metrics`, `/openapi.yaml`.
/// - Parameters:
///   - generator: the in-process chat model (all-in-one shape), whose generation metrics the
///     router serves; nil behind a generator service, which serves its own.
///   - dependencies: reachability of the model services, reported by `/health` (`ready` needs
///     them all); in-process models have none.
///   - access: API keys, admin routes without keys, allowed web origins, limits on questions.
///   - conversations: where conversations and feedback live; nil keeps them in memory.
public func buildRAGRouter(
    knowledge: KnowledgeBase, embeddingModelName: String, chatModelName: String, metrics: ServiceMetrics, generator: Generator? = nil,
    dependencies: @escaping @Sendable () async -> [String: Bool] = { [:] }, access: RAGAccess = RAGAccess(),
    conversations: (any ConversationStore)? = nil
) throws -> Router<ServiceRequestContext> {
    let conversations = try conversations ?? SQLiteConversationStore(path: nil)
    let controller = RAGController<ServiceRequestContext>(
        knowledge: knowledge, embeddingModelName: embeddingModelName, chatModelName: chatModelName,
        metrics: RAGMetrics(metrics: metrics, knowledge: knowledge, generator: generator), conversations: conversations,
        dependencies: dependencies)
    return try makeServiceRouter(metrics: metrics, openAPIDocument: ragOpenAPIDocument, ready: { await controller.isReady() }) { router in
        // Before every route, /metrics and the probes included (those decide for themselves).
        router.add(middleware: OriginPolicyMiddleware(allowed: access.allowedOrigins))
        router.add(middleware: APIKeyMiddleware(keys: access.keys, adminOpenWithoutKeys: access.adminOpenWithoutKeys))
        if access.questionsPerMinute > 0 {
            router.add(middleware: RateLimitMiddleware(perMinute: access.questionsPerMinute, keyed: !access.keys.isEmpty))
        }
        router.add(middleware: QuestionAdmissionMiddleware(limit: access.maxPendingQuestions, maxWait: access.maxQuestionWait))
        controller.addRoutes(to: router)
        ConversationController(conversations: conversations, embeddingModelName: embeddingModelName, chatModelName: chatModelName)
            .addRoutes(to: router)
        let web = WebController<ServiceRequestContext>(knowledge: knowledge)
        web.addRoutes(to: router)
        AdminController(knowledge: knowledge, web: web).addRoutes(to: router)
    }
}

/// Where the rag service listens.
public struct RAGServiceSettings: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "0.0.0.0", port: Int = 8000) {
        self.host = host
        self.port = port
    }
}

/// The rag service as a Hummingbird application (what `guiche serve all` and `guiche serve rag`
/// run); parameters as `buildRAGRouter`'s.
public func buildRAGApplication(
    knowledge: KnowledgeBase, embeddingModelName: String, chatModelName: String, settings: RAGServiceSettings,
    metrics: ServiceMetrics = ServiceMetrics(), generator: Generator? = nil,
    dependencies: @escaping @Sendable () async -> [String: Bool] = { [:] }, access: RAGAccess = RAGAccess(),
    conversations: (any ConversationStore)? = nil, logger: Logger
) throws -> some ApplicationProtocol {
    Application(
        router: try buildRAGRouter(
            knowledge: knowledge, embeddingModelName: embeddingModelName, chatModelName: chatModelName, metrics: metrics,
            generator: generator, dependencies: dependencies, access: access, conversations: conversations),
        server: serviceHTTPServer(),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "guiche-rag"),
        logger: logger)
}

/// The OpenAPI document of the rag service (Sources/RAGService/openapi.yaml).
public let ragOpenAPIDocument = Bundle.module.url(forResource: "openapi", withExtension: "yaml")!
