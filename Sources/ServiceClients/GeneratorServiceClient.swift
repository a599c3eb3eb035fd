import AsyncHTTPClient
import Foundation
import GuicheAPI
import Logging
import NIOCore
import ServiceSupport

/// A typed client of the generator service (`GENERATOR_SERVICE_URL`), over its replicas.
public struct GeneratorServiceClient: Sendable {
    let connection: ServiceConnection

    /// - Parameter resolver: how the URL's host name is resolved to replicas (the system's resolver by default).
    public init(
        baseURL: String, resolver: ServiceReplicas.Resolver? = nil, client: HTTPClient = modelServicesHTTPClient, logger: Logger
    ) throws {
        connection = try ServiceConnection(
            service: "generator", baseURL: baseURL, resolver: resolver, client: client, timeout: .seconds(600), rounds: 3, logger: logger)
    }

    /// The configured URL.
    public var baseURL: String { connection.baseURL }

    /// `GET /health` (one try).
    public func health() async throws -> GeneratorHealth {
        try await connection.get("/health", as: GeneratorHealth.self)
    }

    /// Whether the service answers now.
    public func isReachable() async -> Bool { await connection.isReachable() }

    /// Marks the replicas for a fresh look-up (one was lost mid-answer).
    public func reportFailure() { connection.replicas.reportFailure() }

    /// `POST /v1/chat/completions` with `stream: true`: the stream, once a replica accepted it.
    /// - Parameter avoiding: a replica to try last (the one that just failed).
    public func streamChatCompletion(_ request: ChatCompletionRequest, avoiding: String? = nil) async throws -> ChatCompletionStream {
        var request = request
        request.stream = true
        let (response, replica) = try await connection.post("/v1/chat/completions", body: request, avoiding: avoiding)
        return ChatCompletionStream(replica: replica, body: response.body)
    }
}

/// A streamed chat completion from one replica.
public struct ChatCompletionStream: Sendable {
    /// The replica generating it.
    public let replica: String
    let body: HTTPClientResponse.Body

    /// The connection to the replica ended before the stream's `[DONE]`.
    public struct Interrupted: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Hands every chunk to `receive`, in order, decoding the events byte-exactly (a character
    /// split across network reads arrives whole). Throws `Interrupted` when the connection breaks
    /// or ends before `[DONE]`, and `UpstreamUnavailable` when the service ends the stream with
    /// an error event or sends what is not a chunk; errors `receive` throws pass through.
    public func forEachChunk(_ receive: (ChatCompletionChunk) throws -> Void) async throws {
        var decoder = ServerSentEventDecoder()
        var iterator = body.makeAsyncIterator()
        var done = false
        while true {
            let buffer: ByteBuffer?
            do {
                buffer = try await iterator.next()
            } catch {
                throw Interrupted(reason: "\(error)")
            }
            guard let buffer else { break }
            for event in decoder.append(buffer.readableBytesView) {
                if event.data == ServerSentEvent.doneMarker { done = true; continue }
                let data = Data(event.data.utf8)
                if let failure = try? JSONDecoder().decode(ErrorBody.self, from: data) {
                    throw UpstreamUnavailable(service: "generator", url: replica, reason: failure.error.message)
                }
                guard let chunk = try? JSONDecoder().decode(ChatCompletionChunk.self, from: data) else {
                    throw UpstreamUnavailable(service: "generator", url: replica, reason: "the service sent an event that is not a chat completion chunk")
                }
                try receive(chunk)
            }
        }
        guard done else { throw Interrupted(reason: "the event stream ended before the answer did") }
    }
}
