import Foundation
import GuicheAPI
import Hummingbird
import LlamaRuntime
import Logging
import ServiceSupport

private let chatRoles: Set<String> = ["system", "user", "assistant", "developer"]

/// The generator service's routes.
public struct GeneratorController<Context: RequestContext>: Sendable {
    let generator: Generator
    let metrics: GenerationMetrics

    init(generator: Generator, metrics: GenerationMetrics) {
        self.generator = generator
        self.metrics = metrics
    }

    public func addRoutes(to router: Router<Context>) {
        router.post("/generate", use: generate)
        router.post("/v1/chat/completions", use: chatCompletions)
        router.get("/health", use: health)
    }

    @Sendable func generate(request: Request, context: Context) async throws -> Response {
        try await request.cancellingWhenClientLeaves { requestBody in
            let body = try await JSONRequest.decode(GenerateRequest.self, from: requestBody, context: context)
            if body.prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw APIError.invalidRequest("'prompt' is empty", param: "prompt")
            }
            let stream: AsyncThrowingStream<GenerationEvent, Error>
            if body.raw == true {
                stream = try generator.stream(prompt: body.prompt, parameters: body.sampling.parameters)
            } else {
                var messages: [ChatMessage] = body.system.map { [.system($0)] } ?? []
                messages.append(.user(body.prompt))
                stream = try generator.stream(messages: messages, parameters: body.sampling.parameters)
            }
            let completion = try await collect(stream)
            return try GenerateResponse(text: completion.text, finishReason: completion.summary.finishReason.rawValue, usage: Usage(completion.summary.usage))
                .response(from: request, context: context)
        }
    }

    @Sendable func chatCompletions(request: Request, context: Context) async throws -> Response {
        try await request.cancellingWhenClientLeaves { requestBody in
            let body = try await JSONRequest.decode(ChatCompletionRequest.self, from: requestBody, context: context)
            let messages = try Self.chatMessages(body.messages)
            if let n = body.n, n != 1 {
                throw APIError.invalidRequest("only n = 1 is supported", param: "n")
            }
            let stream = try generator.stream(messages: messages, parameters: body.sampling.parameters)
            let id = "chatcmpl-\(UUID().uuidString.lowercased())"
            let created = Int(Date().timeIntervalSince1970)
            let model = body.model ?? generator.model.name
            if body.stream == true {
                return streamedResponse(
                    stream, id: id, created: created, model: model, includeUsage: body.streamOptions?.includeUsage == true, logger: context.logger)
            }
            let completion = try await collect(stream)
            return try ChatCompletionResponse(
                id: id, created: created, model: model, content: completion.text,
                finishReason: completion.summary.finishReason.rawValue, usage: Usage(completion.summary.usage)
            ).response(from: request, context: context)
        }
    }

    @Sendable func health(request: Request, context: Context) async throws -> GeneratorHealth {
        let statistics = generator.statistics
        return GeneratorHealth(
            ready: true, model: generator.model.name, contextPerSequence: generator.contextPerSequence,
            parallelSequences: generator.parallelSequences, activeSequences: statistics.activeSequences,
            queuedRequests: statistics.queuedRequests)
    }

    static func chatMessages(_ messages: [ChatCompletionRequest.Message]) throws -> [ChatMessage] {
        if messages.isEmpty {
            throw APIError.invalidRequest("'messages' is empty; send at least one message", param: "messages")
        }
        return try messages.enumerated().map { index, message in
            guard chatRoles.contains(message.role) else {
                throw APIError.invalidRequest(
                    "messages[\(index)].role '\(message.role)' is not one of system, user, assistant, developer", param: "messages[\(index)].role")
            }
            guard let content = message.content else {
                throw APIError.invalidRequest("messages[\(index)].content is missing", param: "messages[\(index)].content")
            }
            return ChatMessage(role: message.role == "developer" ? "system" : message.role, content: content.text)
        }
    }

    private func collect(_ stream: AsyncThrowingStream<GenerationEvent, Error>) async throws -> Completion {
        let completion = try await Completion(collecting: stream)
        metrics.record(completion.summary)
        return completion
    }

    /// Server-Sent Events: a role chunk, content chunks, a final chunk with the finish reason,
    /// optionally a usage chunk, then `data: [DONE]` (an error event before it when generation
    /// fails). If the client goes away, the write fails, the stream is dropped and its generation stops.
    private func streamedResponse(
        _ stream: AsyncThrowingStream<GenerationEvent, Error>, id: String, created: Int, model: String, includeUsage: Bool, logger: Logger
    ) -> Response {
        let metrics = self.metrics
        return EventStream.response(logger: logger) { send in
            func chunk(_ delta: ChatCompletionChunk.Choice.Delta, finish: String? = nil) -> ChatCompletionChunk {
                ChatCompletionChunk(id: id, created: created, model: model, delta: delta, finishReason: finish)
            }
            try send(chunk(.init(role: "assistant", content: "")))
            for try await event in stream {
                switch event {
                case .text(let piece):
                    try send(chunk(.init(content: piece)))
                case .finished(let summary):
                    metrics.record(summary)
                    try send(chunk(.init(), finish: summary.finishReason.rawValue))
                    if includeUsage {
                        try send(ChatCompletionChunk(id: id, created: created, model: model, usage: Usage(summary.usage), timings: .init(summary)))
                    }
                }
            }
        }
    }
}
