import Foundation
import Hummingbird
import Logging

/// What became of one request: its route pattern (`unmatched` when none), method, path, status and
/// duration (a streamed response's is until its headers are sent).
public struct RequestOutcome: Sendable {
    public var requestID: String
    public var route: String
    public var method: String
    public var path: String
    public var status: Int
    public var duration: Duration
}

/// Hands the outcome of every request — answered or failed — to `observe`, with the request's
/// logger: the one place that measures requests, for the metrics and the access log alike.
public struct RequestOutcomeMiddleware<Context: RequestContext>: RouterMiddleware {
    let observe: @Sendable (RequestOutcome, Logger) -> Void

    public init(observe: @escaping @Sendable (RequestOutcome, Logger) -> Void) {
        self.observe = observe
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func outcome(_ status: Int) -> RequestOutcome {
            RequestOutcome(
                requestID: "\(context.id)", route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                path: request.uri.path, status: status, duration: ContinuousClock.now - start)
        }
        do {
            let response = try await next(request, context)
            observe(outcome(response.status.code), context.logger)
            return response
        } catch {
            observe(outcome((error as? any HTTPResponseError)?.status.code ?? 500), context.logger)
            throw error
        }
    }
}

extension RequestOutcome {
    /// The access log's line: `info` "request" with the outcome as metadata (`duration_ms`).
    public func log(to logger: Logger) {
        let elapsed = duration.components
        let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        logger.info("request", metadata: [
            "request_id": "\(requestID)", "method": "\(method)", "route": "\(route)", "path": "\(path)", "status": "\(status)",
            "duration_ms": "\(String(format: "%.1f", milliseconds))",
        ])
    }
}
