import Foundation
import Hummingbird
import Logging

/// What became of one request: its route pattern (`unmatched` when none), method, path, status and
/// duration (until the response's last byte is written, a streamed answer's included).
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
        let requestID = "\(context.id)", method = request.method.rawValue, path = request.uri.path, logger = context.logger
        let observe = self.observe
        @Sendable func report(_ status: Int, route: String) {
            observe(
                RequestOutcome(
                    requestID: requestID, route: route, method: method, path: path, status: status, duration: ContinuousClock.now - start),
                logger)
        }
        do {
            var response = try await next(request, context)
            // Reported once the body is written: a streamed answer's duration is the whole stream's.
            let status = response.status.code, route = context.endpointPath ?? "unmatched"
            response.body = response.body.afterWriting { _ in report(status, route: route) }
            return response
        } catch {
            report((error as? any HTTPResponseError)?.status.code ?? 500, route: context.endpointPath ?? "unmatched")
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

extension ResponseBody {
    /// This body, then `done` once it is written or its writing failed (the client went away):
    /// the end of a request for whatever measures or holds it, a streamed answer's included.
    public func afterWriting(_ done: @escaping @Sendable (_ completed: Bool) -> Void) -> ResponseBody {
        ResponseBody(contentLength: contentLength) { writer in
            do {
                try await write(writer)
                done(true)
            } catch {
                done(false)
                throw error
            }
        }
    }
}
