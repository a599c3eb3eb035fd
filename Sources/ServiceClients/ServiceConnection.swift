import AsyncHTTPClient
import Foundation
import GuicheAPI
import Logging
import NIOCore
import ServiceSupport

/// Calls to one model service, with timeouts and retries: a failed call (connection refused, 5xx)
/// is retried, on another replica when the service has several (`ServiceReplicas`), then with
/// backoff; when the service stays down the caller gets `UpstreamUnavailable` (answered 503), and
/// the next call tries again — the rag service recovers by itself when the model service returns.
/// A 4xx is not retried: it is `UpstreamRejected` (answered 502, not as the caller's own 400).
struct ServiceConnection: Sendable {
    let service: String
    let replicas: ServiceReplicas
    let client: HTTPClient
    let timeout: TimeAmount
    /// Rounds over all replicas before giving up (with backoff between rounds).
    let rounds: Int
    let logger: Logger

    init(
        service: String, baseURL: String, resolver: ServiceReplicas.Resolver?, client: HTTPClient, timeout: TimeAmount, rounds: Int,
        logger: Logger
    ) throws {
        self.service = service
        self.replicas = try ServiceReplicas(url: baseURL, resolver: resolver)
        self.client = client
        self.timeout = timeout
        self.rounds = rounds
        self.logger = logger
    }

    /// The configured URL, as named in messages.
    var baseURL: String { replicas.url }

    /// POSTs `body` as JSON and returns the response once its head says 2xx, with the replica
    /// that answered. Replicas that failed in this call, and `avoiding`, are tried last.
    func post(_ path: String, body: some Encodable, avoiding: String? = nil) async throws -> (HTTPClientResponse, replica: String) {
        let payload = try JSONEncoder().encode(body)
        var delay = Duration.milliseconds(200)
        var lastReason = ""
        var failed: Set<String> = avoiding.map { [$0] } ?? []
        var round = 1
        while true {
            let candidates = await replicas.rotation()
            guard let replica = candidates.first(where: { !failed.contains($0) }) else {
                // Every replica failed once in this round.
                guard round < rounds else { break }
                round += 1
                failed = []
                try await Task.sleep(for: delay)
                delay *= 3
                continue
            }
            var request = HTTPClientRequest(url: replica + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: payload))
            do {
                let response = try await client.execute(request, timeout: timeout)
                if (200..<300).contains(response.status.code) { return (response, replica) }
                let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                if response.status.code < 500 {
                    // The service refused the input: retrying cannot help.
                    let reason = (try? JSONDecoder().decode(ErrorBody.self, from: Data(text.utf8)))?.error.message ?? text
                    throw UpstreamRejected(service: service, status: Int(response.status.code), reason: reason)
                }
                lastReason = "HTTP \(response.status.code): \(text.prefix(200))"
            } catch let error as UpstreamRejected {
                throw error
            } catch {
                lastReason = "\(error)"
            }
            failed.insert(replica)
            replicas.reportFailure()
            logger.warning("model service call failed", metadata: [
                "service": "\(service)", "replica": "\(replica)", "round": "\(round)", "reason": "\(lastReason)",
            ])
        }
        throw UpstreamUnavailable(service: service, url: baseURL, reason: lastReason)
    }

    /// POSTs `body` and decodes the JSON answer.
    func post<Answer: Decodable>(_ path: String, body: some Encodable, answer: Answer.Type, limit: Int) async throws -> Answer {
        let (response, replica) = try await post(path, body: body)
        let bytes = try await response.body.collect(upTo: limit)
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(buffer: bytes))
        } catch {
            throw UpstreamUnavailable(service: service, url: replica, reason: "the answer to \(path) is not the documented JSON: \(error)")
        }
    }

    /// Whether the service answers `GET /health` now (one quick try).
    func isReachable() async -> Bool {
        guard let replica = await replicas.rotation().first,
              let response = try? await client.execute(HTTPClientRequest(url: replica + "/health"), timeout: .seconds(3)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status == .ok
    }

    /// GETs `path` (one try) and decodes its JSON.
    func get<Answer: Decodable>(_ path: String, as type: Answer.Type) async throws -> Answer {
        let replica = await replicas.rotation().first ?? baseURL
        let response = try await client.execute(HTTPClientRequest(url: replica + path), timeout: timeout)
        guard response.status == .ok else { throw UpstreamUnavailable(service: service, url: baseURL, reason: "HTTP \(response.status.code)") }
        return try JSONDecoder().decode(Answer.self, from: Data(buffer: try await response.body.collect(upTo: 1 << 20)))
    }
}

/// An HTTP client for the model services: connection attempts give up after 3 s so that retries
/// (and the 503) happen promptly when a service is down, and each replica may have a connection
/// per question the rag service holds (`questions`, its `MAX_PENDING_QUESTIONS`) plus a few for
/// probes — a question never waits for the pool; the services' own queues decide what they take.
public func makeModelServicesHTTPClient(questions: Int) -> HTTPClient {
    var configuration = HTTPClient.Configuration()
    configuration.timeout.connect = .seconds(3)
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = questions + 8
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}

/// The process-wide client of `makeModelServicesHTTPClient` for the default 64 questions.
public let modelServicesHTTPClient: HTTPClient = makeModelServicesHTTPClient(questions: 64)
