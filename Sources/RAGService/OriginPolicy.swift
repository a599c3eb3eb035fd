import HTTPTypes
import Hummingbird
import ServiceSupport

/// Which web pages may call the rag service from a browser (`CORS_ALLOWED_ORIGINS`). A request
/// that carries an `Origin` — browsers send one on cross-site requests, including the "simple"
/// ones they send without asking first — is refused (403) unless the origin is the service's own
/// (`Host`) or in the allow-list; allowed origins get CORS headers and their preflights answered.
/// Clients that are not browsers send no `Origin` and are not concerned.
struct OriginPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Allowed origins ("https://portal.example.gov.br"); "*" allows any.
    let allowed: [String]
    private let cors: CORSMiddleware<Context>

    init(allowed: [String]) {
        self.allowed = allowed
        cors = CORSMiddleware(
            allowOrigin: allowed.contains("*") ? .all : .originBased,
            allowHeaders: [.accept, .authorization, .contentType, .origin, HTTPField.Name("X-API-Key")!],
            allowMethods: [.get, .post, .options], maxAge: .seconds(600))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let own = request.head.authority.map { ["http://\($0)", "https://\($0)"] } ?? []
        if own.contains(origin) { return try await next(request, context) }
        guard allowed.contains("*") || allowed.contains(origin) else {
            throw APIError(
                status: .forbidden, type: "permission_error",
                message: "requests from web pages at \(origin.prefix(100)) are not allowed; add the origin to CORS_ALLOWED_ORIGINS")
        }
        return try await cors.handle(request, context: context, next: next)
    }
}
