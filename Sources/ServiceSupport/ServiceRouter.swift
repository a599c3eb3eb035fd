import Foundation
import Hummingbird
import HummingbirdCore

/// The router every Guichê service starts from: request metrics, an access line per request and
/// OpenAI-shaped errors around its routes, plus `GET /metrics`, `GET /openapi.yaml` and the probes
/// `GET /health/live` (the process answers) and `GET /health/ready` (503 until `ready`).
public func makeServiceRouter(
    metrics: ServiceMetrics, openAPIDocument: URL, ready: @escaping @Sendable () async -> Bool = { true },
    routes: (Router<ServiceRequestContext>) -> Void
) throws -> Router<ServiceRequestContext> {
    let router = Router(context: ServiceRequestContext.self)
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


/// The HTTP/1.1 server every service runs: a connection that sends nothing for `idleTimeout` —
/// idle between requests, or a request's head or body trickling in — is closed; a request being
/// answered is not cut (a long answer keeps its connection).
public func serviceHTTPServer(idleTimeout: Duration = .seconds(30)) -> HTTPServerBuilder {
    let (seconds, attoseconds) = idleTimeout.components
    return .http1(configuration: .init(idleTimeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)))
}
