import Foundation
import Hummingbird

/// The router every Guichê service starts from: request metrics, an access line per request and
/// OpenAI-shaped errors around its routes, plus `GET /metrics`, `GET /openapi.yaml` and the probes
/// `GET /health/live` (the process answers) and `GET /health/ready` (503 until `ready`).
public func makeServiceRouter(
    metrics: ServiceMetrics, openAPIDocument: URL, ready: @escaping @Sendable () async -> Bool = { true },
    routes: (Router<BasicRequestContext>) -> Void
) throws -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: RequestOutcomeMiddleware { outcome, logger in
        metrics.recordRequest(route: outcome.route, method: outcome.method, status: outcome.status, duration: outcome.duration)
        outcome.log(to: logger)
    })
    router.add(middleware: APIErrorMiddleware())
    routes(router)
    metrics.addRoute(to: router)
    Probe.addRoutes(to: router, ready: ready)
    try OpenAPIDocument.addRoute(to: router, document: openAPIDocument)
    return router
}

