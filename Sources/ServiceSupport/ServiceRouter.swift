import Foundation
import Hummingbird

/// The router every Guichê service starts from: request metrics, an access line per request and
/// OpenAI-shaped errors around its routes, plus `GET /metrics` and `GET /openapi.yaml`.
public func makeServiceRouter(
    metrics: ServiceMetrics, openAPIDocument: URL, routes: (Router<BasicRequestContext>) -> Void
) throws -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: RequestOutcomeMiddleware { outcome, logger in
        metrics.recordRequest(route: outcome.route, method: outcome.method, status: outcome.status, duration: outcome.duration)
        outcome.log(to: logger)
    })
    router.add(middleware: APIErrorMiddleware())
    routes(router)
    metrics.addRoute(to: router)
    try OpenAPIDocument.addRoute(to: router, document: openAPIDocument)
    return router
}

