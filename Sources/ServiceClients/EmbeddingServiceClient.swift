import AsyncHTTPClient
import GuicheAPI
import Logging
import NIOCore
import ServiceSupport

/// A typed client of the embedding service (`EMBEDDING_SERVICE_URL`), over its replicas.
public struct EmbeddingServiceClient: Sendable {
    let connection: ServiceConnection

    /// - Parameter resolver: how the URL's host name is resolved to replicas (the system's resolver by default).
    public init(
        baseURL: String, resolver: ServiceReplicas.Resolver? = nil, client: HTTPClient = modelServicesHTTPClient, logger: Logger
    ) throws {
        connection = try ServiceConnection(
            service: "embedding", baseURL: baseURL, resolver: resolver, client: client, timeout: .seconds(120), rounds: 3, logger: logger)
    }

    /// The configured URL.
    public var baseURL: String { connection.baseURL }

    /// `GET /health` (one try).
    public func health() async throws -> EmbeddingHealth {
        try await connection.get("/health", as: EmbeddingHealth.self)
    }

    /// Whether the service answers now.
    public func isReachable() async -> Bool { await connection.isReachable() }

    /// `POST /embed`.
    public func embed(_ request: EmbedRequest) async throws -> EmbedResponse {
        try await connection.post("/embed", body: request, answer: EmbedResponse.self, limit: 256 << 20)
    }
}
