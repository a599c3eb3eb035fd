import Hummingbird

extension Request {
    /// Runs `operation` over the request's body — an answer written in one piece at its end — and
    /// cancels it as soon as the client closes the connection: nobody would read the answer, and
    /// its generation would hold a slot of the model for nothing. (Streamed answers stop at their
    /// first failed write instead.)
    ///
    /// Watching for the client's close reads the connection's inbound side, so the connection ends
    /// with this response (`Connection: close`). Read the body only through `operation`'s argument.
    public func cancellingWhenClientLeaves(_ operation: (RequestBody) async throws -> Response) async throws -> Response {
        var response = try await body.consumeWithCancellationOnInboundClose(operation)
        response.headers[.connection] = "close"
        return response
    }
}
