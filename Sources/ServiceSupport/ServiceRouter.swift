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

/// Server-Sent Events framing.
public enum ServerSentEvent {
    /// `data: <json>\n\n`.
    public static func data(_ value: some Encodable) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try JSONEncoder().encode(value))
        buffer.writeString("\n\n")
        return buffer
    }

    /// The end of an OpenAI-style stream.
    public static let done = ByteBuffer(string: "data: [DONE]\n\n")

    /// Headers of an event stream response.
    public static let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
}
