import AsyncHTTPClient
import Foundation
import GuicheAPI
import LlamaRuntime
import Logging
import RAGCore
import ServiceSupport

/// The chat model behind a generator service, as the RAG core's `TextGeneration`, streamed
/// through its OpenAI-style endpoint (the service applies the model's chat template).
///
/// When the replica generating an answer goes away mid-answer, the request is sent again to
/// another replica and the text already delivered is skipped: generation is deterministic for a
/// given request (greedy, or seeded sampling), so the replay repeats it; a replay that differs is
/// an error rather than a spliced answer.
public struct RemoteGeneration: TextGeneration {
    private let client: GeneratorServiceClient
    private let logger: Logger

    public init(_ client: GeneratorServiceClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Over a new client of the service at `baseURL`.
    public init(
        baseURL: String, resolver: ServiceReplicas.Resolver? = nil, client: HTTPClient = modelServicesHTTPClient, logger: Logger
    ) throws {
        self.init(try GeneratorServiceClient(baseURL: baseURL, resolver: resolver, client: client, logger: logger), logger: logger)
    }

    /// Whether the service answers now.
    public func isReachable() async -> Bool { await client.isReachable() }

    /// Most replays of one answer after replicas failed mid-answer.
    static let maxReplays = 3

    /// The wire request for `messages` under `parameters` (every sampling field sent, so both
    /// shapes sample alike).
    static func request(messages: [ChatMessage], parameters: SamplingParameters) -> ChatCompletionRequest {
        ChatCompletionRequest(
            messages: messages.map { .init(role: $0.role, content: $0.content) }, stream: true, includeUsage: true,
            sampling: SamplingFields(
                maxTokens: parameters.maxTokens, temperature: parameters.temperature, topP: parameters.topP, topK: parameters.topK,
                minP: parameters.minP, repeatPenalty: parameters.repeatPenalty, repeatLastN: parameters.repeatLastN, stop: parameters.stop,
                seed: parameters.seed))
    }

    public func stream(messages: [ChatMessage], parameters: SamplingParameters) async throws -> AsyncThrowingStream<GenerationEvent, Error> {
        let started = ContinuousClock.now
        let request = Self.request(messages: messages, parameters: parameters)
        let first = try await client.streamChatCompletion(request)
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        let task = Task {
            var attempt = first
            var delivered: [UInt8] = []  // text yielded so far, over all attempts
            var replays = 0
            var firstToken: ContinuousClock.Instant?
            do {
                while true {
                    do {
                        var received = 0  // bytes this attempt produced
                        var finish: FinishReason?
                        var usage = GenerationUsage(promptTokens: 0, cachedPromptTokens: 0, completionTokens: 0)
                        var engineTime: Duration?
                        let replica = attempt.replica
                        try await attempt.forEachChunk { chunk in
                            if let timings = chunk.timings { engineTime = .microseconds(Int64(timings.totalMs * 1000)) }
                            if let counts = chunk.usage {
                                usage = GenerationUsage(
                                    promptTokens: counts.promptTokens, cachedPromptTokens: counts.cachedPromptTokens ?? 0,
                                    completionTokens: counts.completionTokens)
                            }
                            for choice in chunk.choices {
                                if let reason = choice.finishReason { finish = FinishReason(rawValue: reason) ?? .stop }
                                guard let piece = choice.delta.content, !piece.isEmpty else { continue }
                                // A replay repeats what was already delivered: check that part, yield the rest.
                                let bytes = Array(piece.utf8)
                                let overlap = min(bytes.count, max(0, delivered.count - received))
                                guard bytes[..<overlap].elementsEqual(delivered[received..<(received + overlap)]) else {
                                    throw UpstreamUnavailable(
                                        service: "generator", url: replica, reason: "a replayed answer differed from the text already sent")
                                }
                                received += bytes.count
                                guard overlap < bytes.count else { continue }
                                if firstToken == nil { firstToken = .now }
                                continuation.yield(.text(String(decoding: bytes[overlap...], as: UTF8.self)))
                                delivered += bytes[overlap...]
                            }
                        }
                        guard let finish else {
                            throw UpstreamUnavailable(service: "generator", url: replica, reason: "the stream ended without a finish reason")
                        }
                        // The generator's own total (queueing, prompt, decoding) when it reports one.
                        continuation.yield(.finished(GenerationSummary(
                            finishReason: finish, usage: usage, timeToFirstToken: firstToken.map { $0 - started },
                            totalTime: engineTime ?? ContinuousClock.now - started)))
                        continuation.finish()
                        return
                    } catch let lost as ChatCompletionStream.Interrupted where replays < Self.maxReplays && !Task.isCancelled {
                        replays += 1
                        client.reportFailure()
                        logger.warning("generator replica lost mid-answer; replaying on another replica", metadata: [
                            "replica": "\(attempt.replica)", "reason": "\(lost.reason)", "delivered_bytes": "\(delivered.count)",
                        ])
                        attempt = try await client.streamChatCompletion(request, avoiding: attempt.replica)
                    }
                }
            } catch let lost as ChatCompletionStream.Interrupted {
                continuation.finish(throwing: UpstreamUnavailable(service: "generator", url: client.baseURL, reason: lost.reason))
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
