import GuicheAPI
import Hummingbird
import Logging

/// Every streamed answer of the services, as Server-Sent Events: what `produce` sends, then
/// `data: [DONE]`. When `produce` fails — a model error, a model service lost mid-answer, anything —
/// the stream ends with an error event (the `ErrorBody` the status would have carried) and then
/// `[DONE]`, so a client always learns that the answer is incomplete. When the client goes away
/// the next write fails and the stream stops there (dropping what `produce` was reading).
public enum EventStream {
    /// Sends one event, `data: <value as JSON>`.
    public typealias Send = (any Encodable) async throws -> Void

    public static func response(logger: Logger, _ produce: @escaping @Sendable (Send) async throws -> Void) -> Response {
        let body = ResponseBody { writer in
            do {
                try await produce { value in
                    let event = try ServerSentEvent.data(value)
                    do {
                        try await writer.write(event)
                    } catch {
                        throw ClientGone(underlying: error)
                    }
                }
            } catch let gone as ClientGone {
                throw gone.underlying
            } catch {
                let apiError = APIError(error)
                logger.log(level: apiError.status.kind == .serverError ? .error : .notice, "stream ended by an error", metadata: [
                    "error": "\(error)", "status": "\(apiError.status.code)",
                ])
                try await writer.write(ServerSentEvent.data(apiError.body))
            }
            try await writer.write(ServerSentEvent.done)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: ServerSentEvent.headers, body: body)
    }

    /// A write failed: the client is gone, nothing more can be sent.
    private struct ClientGone: Error {
        var underlying: any Error
    }
}
