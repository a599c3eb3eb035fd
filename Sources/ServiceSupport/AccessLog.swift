import Foundation
import Hummingbird
import Logging

/// One `info` line per request with its id, method, route pattern, status and duration in
/// milliseconds (a streamed response's duration is until its headers are sent).
public struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, start: start)
            return response
        } catch {
            log(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, start: start)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant) {
        let elapsed = (ContinuousClock.now - start).components
        let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        context.logger.info("request", metadata: [
            "request_id": "\(context.id)", "method": "\(request.method.rawValue)", "route": "\(context.endpointPath ?? "unmatched")",
            "path": "\(request.uri.path)", "status": "\(status)", "duration_ms": "\(String(format: "%.1f", milliseconds))",
        ])
    }
}
