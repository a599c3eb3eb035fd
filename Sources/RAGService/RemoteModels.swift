import AsyncHTTPClient
import Foundation
import LlamaRuntime
import Logging
import NIOCore
import NIOHTTP1
import RAGCore
import ServiceSupport

/// Calls to a model service, with timeouts and retries: a failed call (connection refused, 5xx,
/// 503) is retried, on another replica when the service has several (`ServiceReplicas`), then
/// with backoff; when the service stays down the caller gets `UpstreamUnavailable` (answered as
/// 503), and the next call tries again — the rag service recovers by itself when the model
/// service returns.
public struct ModelServiceClient: Sendable {
    /// A process-wide client for the model services: connection attempts give up after 3 s so
    /// that our own retries (and the 503) happen promptly when a service is down.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(3)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    let service: String
    let replicas: ServiceReplicas
    let client: HTTPClient
    let timeout: TimeAmount
    /// Rounds over all replicas before giving up (with backoff between rounds).
    let rounds: Int
    let logger: Logger

    init(
        service: String, baseURL: String, resolver: ServiceReplicas.Resolver?, client: HTTPClient, timeout: TimeAmount, rounds: Int, logger: Logger
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
                    throw APIError(status: .badRequest, type: "invalid_request_error", message: "\(service) service: \(text)")
                }
                lastReason = "HTTP \(response.status.code): \(text.prefix(200))"
            } catch let error as APIError {
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

    /// Whether the service answers `GET /health` now (one quick try).
    public func isReachable() async -> Bool {
        guard let replica = await replicas.rotation().first,
              let response = try? await client.execute(HTTPClientRequest(url: replica + "/health"), timeout: .seconds(3)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status == .ok
    }

    func getJSON<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        let replica = await replicas.rotation().first ?? baseURL
        let response = try await client.execute(HTTPClientRequest(url: replica + path), timeout: timeout)
        guard response.status == .ok else { throw UpstreamUnavailable(service: service, url: baseURL, reason: "HTTP \(response.status.code)") }
        return try JSONDecoder().decode(T.self, from: Data(buffer: try await response.body.collect(upTo: 1 << 20)))
    }
}

/// The embedding model behind an embedding service (`EMBEDDING_SERVICE_URL`).
public struct RemoteEmbedding: TextEmbedding {
    /// Whether the service answers now.
    public func isReachable() async -> Bool { await client.isReachable() }

    struct Health: Decodable {
        var model: String
        var dimensions: Int
        var max_input_tokens: Int
        var model_fingerprint: String?
        var query_prefix: String?
        var document_prefix: String?
    }

    private let client: ModelServiceClient
    private let tokenizer: LlamaModel?
    private let documentPrefix: String
    public let fingerprint: EmbeddingModelFingerprint
    public let maxInputTokens: Int

    /// Waits (retrying, up to `wait`) until the service answers `/health`.
    /// - Parameter tokenizer: the same model loaded vocabulary-only, to count tokens locally while
    ///   chunking; without it counts are estimated conservatively (one token per 3 bytes).
    /// - Parameter resolver: how the URL's host name is resolved to replicas (the system's resolver by default).
    public static func connect(
        baseURL: String, tokenizer: LlamaModel?, wait: Duration = .seconds(120), resolver: ServiceReplicas.Resolver? = nil,
        client: HTTPClient = ModelServiceClient.sharedHTTPClient, logger: Logger
    ) async throws -> RemoteEmbedding {
        let service = try ModelServiceClient(
            service: "embedding", baseURL: baseURL, resolver: resolver, client: client, timeout: .seconds(120), rounds: 3, logger: logger)
        let deadline = ContinuousClock.now + wait
        while true {
            do {
                let health = try await service.getJSON("/health", as: Health.self)
                return RemoteEmbedding(client: service, tokenizer: tokenizer, health: health)
            } catch {
                if ContinuousClock.now > deadline { throw UpstreamUnavailable(service: "embedding", url: baseURL, reason: "\(error)") }
                logger.notice("waiting for the embedding service", metadata: ["url": "\(baseURL)", "reason": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    private init(client: ModelServiceClient, tokenizer: LlamaModel?, health: Health) {
        self.client = client
        self.tokenizer = tokenizer
        self.documentPrefix = health.document_prefix ?? ""
        self.maxInputTokens = health.max_input_tokens
        self.fingerprint = EmbeddingModelFingerprint(
            name: health.model, dimensions: health.dimensions, fileDigest: health.model_fingerprint ?? "remote")
    }

    public func documentTokenCount(_ text: String) throws -> Int {
        if let tokenizer { return try tokenizer.tokenize(documentPrefix + text, addSpecial: true).count }
        return ((documentPrefix + text).utf8.count + 2) / 3 + 2
    }

    struct EmbedBody: Encodable { var texts: [String]; var tipo: String }
    struct Embeddings: Decodable { var embeddings: [[Float]] }

    public func embed(_ texts: [String], kind: EmbeddingInputKind) async throws -> [[Float]] {
        let (response, _) = try await client.post("/embed", body: EmbedBody(texts: texts, tipo: kind == .query ? "consulta" : "documento"))
        let body = try await response.body.collect(upTo: 256 << 20)
        return try JSONDecoder().decode(Embeddings.self, from: Data(buffer: body)).embeddings
    }
}

/// The chat model behind a generator service (`GENERATOR_SERVICE_URL`), streamed through its
/// OpenAI-style endpoint (the service applies the model's chat template).
///
/// When the replica generating an answer goes away mid-answer, the request is sent again to
/// another replica and the text already delivered is skipped: generation is deterministic for a
/// given request (greedy, or seeded sampling), so the replay repeats it; a replay that differs is
/// an error rather than a spliced answer.
public struct RemoteGeneration: TextGeneration {
    private let client: ModelServiceClient
    private let logger: Logger

    /// Whether the service answers now.
    public func isReachable() async -> Bool { await client.isReachable() }

    /// - Parameter resolver: how the URL's host name is resolved to replicas (the system's resolver by default).
    public init(
        baseURL: String, resolver: ServiceReplicas.Resolver? = nil, client: HTTPClient = ModelServiceClient.sharedHTTPClient, logger: Logger
    ) throws {
        self.client = try ModelServiceClient(
            service: "generator", baseURL: baseURL, resolver: resolver, client: client, timeout: .seconds(600), rounds: 3, logger: logger)
        self.logger = logger
    }

    struct Body: Encodable {
        struct Message: Encodable { var role: String; var content: String }
        struct StreamOptions: Encodable { var include_usage = true }
        var messages: [Message]
        var stream = true
        var stream_options = StreamOptions()
        var max_tokens: Int
        var temperature: Float
        var top_p: Float
        var top_k: Int
        var min_p: Float
        var repeat_penalty: Float
        var stop: [String]
        var seed: UInt32?
    }

    struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable { var content: String? }
            var delta: Delta
            var finish_reason: String?
        }
        struct Usage: Decodable { var prompt_tokens: Int; var completion_tokens: Int; var cached_prompt_tokens: Int? }
        struct Failure: Decodable { var message: String }
        struct Timings: Decodable { var first_token_ms: Double?; var total_ms: Double }
        var choices: [Choice]?
        var usage: Usage?
        var timings: Timings?
        var error: Failure?
    }

    /// The connection to a replica ended before the answer did.
    struct ReplicaLost: Error { var reason: String }

    /// Most replays of one answer after replicas failed mid-answer.
    static let maxReplays = 3

    public func stream(messages: [ChatMessage], parameters: SamplingParameters) async throws -> AsyncThrowingStream<GenerationEvent, Error> {
        let started = ContinuousClock.now
        let body = Body(
            messages: messages.map { .init(role: $0.role, content: $0.content) }, max_tokens: parameters.maxTokens,
            temperature: parameters.temperature, top_p: parameters.topP, top_k: parameters.topK, min_p: parameters.minP,
            repeat_penalty: parameters.repeatPenalty, stop: parameters.stop, seed: parameters.seed)
        let first = try await client.post("/v1/chat/completions", body: body)
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        let task = Task {
            var (response, replica) = first
            var delivered: [UInt8] = []  // text yielded so far, over all attempts
            var replays = 0
            var firstToken: ContinuousClock.Instant?
            do {
                while true {
                    do {
                        var received = 0  // bytes this attempt produced
                        let (finish, usage, engineTime) = try await receive(response, replica: replica) { piece in
                            // A replay repeats what was already delivered: check that part, yield the rest.
                            let bytes = Array(piece.utf8)
                            let overlap = min(bytes.count, max(0, delivered.count - received))
                            guard bytes[..<overlap].elementsEqual(delivered[received..<(received + overlap)]) else {
                                throw Self.diverged(replica)
                            }
                            received += bytes.count
                            guard overlap < bytes.count else { return }
                            if firstToken == nil { firstToken = .now }
                            continuation.yield(.text(String(decoding: bytes[overlap...], as: UTF8.self)))
                            delivered += bytes[overlap...]
                        }
                        // The generator's own total (queueing, prompt, decoding) when it reports one.
                        continuation.yield(.finished(GenerationSummary(
                            finishReason: finish, usage: usage, timeToFirstToken: firstToken.map { $0 - started },
                            totalTime: engineTime ?? ContinuousClock.now - started)))
                        continuation.finish()
                        return
                    } catch let lost as ReplicaLost where replays < Self.maxReplays && !Task.isCancelled {
                        replays += 1
                        client.replicas.reportFailure()
                        logger.warning("generator replica lost mid-answer; replaying on another replica", metadata: [
                            "replica": "\(replica)", "reason": "\(lost.reason)", "delivered_bytes": "\(delivered.count)",
                        ])
                        (response, replica) = try await client.post("/v1/chat/completions", body: body, avoiding: replica)
                    }
                }
            } catch let lost as ReplicaLost {
                continuation.finish(throwing: UpstreamUnavailable(service: "generator", url: client.baseURL, reason: lost.reason))
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private static func diverged(_ replica: String) -> UpstreamUnavailable {
        UpstreamUnavailable(service: "generator", url: replica, reason: "a replayed answer differed from the text already sent")
    }

    /// Reads one replica's event stream, passing each piece of text as it arrives.
    /// Throws `ReplicaLost` when the stream breaks or ends before the final event.
    private func receive(
        _ response: HTTPClientResponse, replica: String, text onPiece: (String) throws -> Void
    ) async throws -> (FinishReason, GenerationUsage, engineTime: Duration?) {
        var pending = ""
        var engineTime: Duration?
        var text = ""
        var finish: FinishReason?
        var usage = GenerationUsage(promptTokens: 0, cachedPromptTokens: 0, completionTokens: 0)
        var done = false
        do {
            for try await buffer in response.body {
                pending += String(buffer: buffer)
                while let end = pending.range(of: "\n\n") {
                    let event = String(pending[..<end.lowerBound])
                    pending = String(pending[end.upperBound...])
                    guard event.hasPrefix("data: ") else { continue }
                    let payload = event.dropFirst(6)
                    if payload == "[DONE]" { done = true; continue }
                    let chunk = try JSONDecoder().decode(Chunk.self, from: Data(payload.utf8))
                    if let failure = chunk.error {
                        throw UpstreamUnavailable(service: "generator", url: replica, reason: failure.message)
                    }
                    if let timings = chunk.timings { engineTime = .microseconds(Int64(timings.total_ms * 1000)) }
                    if let usageChunk = chunk.usage {
                        usage = GenerationUsage(
                            promptTokens: usageChunk.prompt_tokens, cachedPromptTokens: usageChunk.cached_prompt_tokens ?? 0,
                            completionTokens: usageChunk.completion_tokens)
                    }
                    for choice in chunk.choices ?? [] {
                        if let piece = choice.delta.content, !piece.isEmpty { try onPiece(piece) }
                        if let reason = choice.finish_reason { finish = FinishReason(rawValue: reason) ?? .stop }
                    }
                }
            }
        } catch let error as UpstreamUnavailable {
            throw error
        } catch is DecodingError {
            throw UpstreamUnavailable(service: "generator", url: replica, reason: "the service sent an event that is not a chat completion chunk")
        } catch {
            throw ReplicaLost(reason: "\(error)")
        }
        guard let finish, done else { throw ReplicaLost(reason: "the event stream ended before the answer did") }
        return (finish, usage, engineTime)
    }
}
