import GuicheAPI
import Hummingbird
import Logging

/// Every streamed answer of the services, as Server-Sent Events: what `produce` sends, then
/// `data: [DONE]`. When `produce` fails — a model error, a model service lost mid-answer, anything —
/// the stream ends with an error event (the `ErrorBody` the status would have carried) and then
/// `[DONE]`, so a client always learns that the answer is incomplete. While `produce` is quiet (a
/// model still writing a sentence that is checked whole), a comment goes out every `heartbeat`;
/// when the client has gone away a write fails within a beat or two and `produce` is cancelled —
/// dropping what it was reading, a generation included.
public enum EventStream {
    /// Sends one event, `data: <value as JSON>`.
    public typealias Send = @Sendable (any Encodable) throws -> Void

    public static func response(
        logger: Logger, heartbeat: Duration = .milliseconds(250), _ produce: @escaping @Sendable (Send) async throws -> Void
    ) -> Response {
        let body = ResponseBody { writer in
            // nil: a heartbeat.
            let (items, continuation) = AsyncStream<ByteBuffer?>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await produce { value in continuation.yield(try ServerSentEvent.data(value)) }
                    } catch is CancellationError {
                        // The client went away; nothing more is written.
                    } catch {
                        let apiError = APIError(error)
                        logger.log(level: apiError.status.kind == .serverError ? .error : .notice, "stream ended by an error", metadata: [
                            "error": "\(error)", "status": "\(apiError.status.code)",
                        ])
                        if let event = try? ServerSentEvent.data(apiError.body) { continuation.yield(event) }
                    }
                    continuation.finish()
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: heartbeat)
                        continuation.yield(nil)
                    }
                }
                for await item in items {
                    try await writer.write(item ?? ServerSentEvent.heartbeat)
                }
                group.cancelAll()
            }
            try await writer.write(ServerSentEvent.done)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: ServerSentEvent.headers, body: body)
    }
}
