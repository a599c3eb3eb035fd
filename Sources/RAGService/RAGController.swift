import Foundation
import GuicheAPI
import Hummingbird
import LlamaRuntime
import Logging
import RAGCore
import ServiceSupport

/// The rag service's routes: the chatbot API over a `KnowledgeBase`.
public struct RAGController<Context: RequestContext>: Sendable {
    let knowledge: KnowledgeBase
    let embeddingModelName: String
    let chatModelName: String
    let metrics: RAGMetrics
    let conversations: any ConversationStore
    let dependencies: @Sendable () async -> [String: Bool]
    /// Longest question accepted, in characters.
    public static var maxQuestionLength: Int { 2000 }

    init(knowledge: KnowledgeBase, embeddingModelName: String, chatModelName: String, metrics: RAGMetrics,
         conversations: any ConversationStore, dependencies: @escaping @Sendable () async -> [String: Bool]) {
        self.dependencies = dependencies
        self.conversations = conversations
        self.knowledge = knowledge
        self.embeddingModelName = embeddingModelName
        self.chatModelName = chatModelName
        self.metrics = metrics
    }

    public func addRoutes(to router: Router<Context>) {
        router.post("/chat", use: chat)
        router.post("/chat/stream", use: chatStream)
        router.post("/search", use: search)
        router.post("/v1/chat/completions", use: chatCompletions)
        router.get("/v1/models", use: models)
        router.post("/ingest", use: ingest)
        router.get("/documents", use: documents)
        router.get("/health", use: health)
    }

    @Sendable func chat(request: Request, context: Context) async throws -> Response {
        try await request.cancellingWhenClientLeaves { requestBody in
            let body = try await JSONRequest.decode(ChatRequest.self, from: requestBody, context: context)
            let asked = try Self.check(body.pergunta, topK: body.topK)
            let question = try await standalone(asked, in: body.conversa)
            if body.stream == true {
                return try await streamed(question: question, asked: asked, conversation: body.conversa, topK: body.topK, logger: context.logger)
            }
            let answer = try await knowledge.answerer.answer(question: question, topK: body.topK)
            metrics.record(answer)
            let fontes = Fonte.list(answer.sources, evidence: answer.evidence.units)
            if let id = body.conversa {
                try await remember(asked: asked, standalone: question, answer: answer.text, mode: answer.mode, fontes: fontes, in: id)
            }
            return try ChatResponse(
                resposta: answer.text, fontes: fontes, recusada: answer.refused, modo: answer.mode, tempos: .init(answer.timings),
                perguntaReformulada: body.conversa == nil ? nil : question, conversa: body.conversa
            ).response(from: request, context: context)
        }
    }

    /// `question` made standalone in conversation `id` (404 when there is no such conversation).
    private func standalone(_ question: String, in id: String?) async throws -> String {
        guard let id else { return question }
        guard let conversation = try await conversations.conversation(id: id) else { throw ConversationController<Context>.unknown(id) }
        return FollowUp.standalone(question, after: conversation.turns.last?.standaloneQuestion)
    }

    /// Adds the turn to conversation `id`.
    private func remember(asked: String, standalone: String, answer: String, mode: AnswerMode, fontes: [Fonte], in id: String) async throws {
        let sources = String(decoding: try JSONEncoder().encode(fontes), as: UTF8.self)
        try await conversations.append(
            .init(question: asked, standaloneQuestion: standalone, answer: answer, mode: mode.rawValue, sources: sources), to: id)
    }

    @Sendable func search(request: Request, context: Context) async throws -> Response {
        let body = try await JSONRequest.decode(SearchRequest.self, from: request, context: context)
        let question = try Self.check(body.pergunta, topK: body.topK)
        let start = ContinuousClock.now
        let defaultTopK = await knowledge.answerer.settings.topK
        let sources = try await knowledge.retriever.retrieve(question, topK: body.topK ?? defaultTopK)
        return try SearchResponse(fontes: sources.map { Fonte($0) }, buscaMs: (ContinuousClock.now - start).inMilliseconds)
            .response(from: request, context: context)
    }

    @Sendable func chatStream(request: Request, context: Context) async throws -> Response {
        let body = try await JSONRequest.decode(ChatRequest.self, from: request, context: context)
        let asked = try Self.check(body.pergunta, topK: body.topK)
        let question = try await standalone(asked, in: body.conversa)
        return try await streamed(question: question, asked: asked, conversation: body.conversa, topK: body.topK, logger: context.logger)
    }

    /// Server-Sent Events: `{"fontes": [...]}` first (with `pergunta_reformulada` and `conversa` in
    /// a conversation), then `{"texto": "..."}` pieces, then `{"modo": "...", "recusada": bool}`,
    /// then `[DONE]` (an error event before it when the answer fails midway). A conversation gets
    /// the turn when the answer is complete.
    private func streamed(question: String, asked: String, conversation: String?, topK: Int?, logger: Logger) async throws -> Response {
        let start = ContinuousClock.now
        let stream = try await knowledge.answerer.stream(question: question, topK: topK)
        let retrieved = ContinuousClock.now
        let fontes = Fonte.list(stream.sources, evidence: stream.evidence.units)
        let metrics = self.metrics
        return EventStream.response(logger: logger) { send in
            try send(StreamStart(fontes: fontes, perguntaReformulada: conversation == nil ? nil : question, conversa: conversation))
            let timing = metrics.streamTiming(start: start, retrieved: retrieved)
            var text = ""
            for try await event in stream.events {
                timing.observe(event)
                switch event {
                case .text(let piece):
                    text += piece
                    try send(["texto": piece])
                case .finished(let mode, _):
                    if let conversation {
                        try await remember(asked: asked, standalone: question, answer: text, mode: mode, fontes: fontes, in: conversation)
                    }
                    try send(StreamEnd(modo: mode, recusada: mode == .refusal))
                }
            }
        }
    }

    @Sendable func chatCompletions(request: Request, context: Context) async throws -> Response {
        try await request.cancellingWhenClientLeaves { requestBody in
            try await chatCompletion(try await JSONRequest.decode(ChatCompletionRequest.self, from: requestBody, context: context), request: request, context: context)
        }
    }

    /// OpenAI's request; the last user message is the question (text, or its text parts).
    private func chatCompletion(_ body: ChatCompletionRequest, request: Request, context: Context) async throws -> Response {
        let asked = body.messages.filter { $0.role == "user" }.compactMap { $0.content?.text }
        guard let content = asked.last else {
            throw APIError.invalidRequest("'messages' needs a user message with the question", param: "messages")
        }
        // Earlier user messages make a follow-up standalone, as in a conversation.
        var previous: String?
        for earlier in asked.dropLast() { previous = FollowUp.standalone(earlier, after: previous) }
        let question = FollowUp.standalone(try Self.check(content, topK: nil), after: previous)
        let reformulated = asked.count > 1 ? question : nil
        let id = "chatcmpl-\(UUID().uuidString.lowercased())"
        let created = Int(Date().timeIntervalSince1970)
        let model = body.model ?? "guiche"
        if body.stream == true {
            let start = ContinuousClock.now
            let stream = try await knowledge.answerer.stream(question: question)
            let retrieved = ContinuousClock.now
            let fontes = Fonte.list(stream.sources, evidence: stream.evidence.units)
            let metrics = self.metrics
            return EventStream.response(logger: context.logger) { send in
                func chunk(_ delta: ChatCompletionChunk.Choice.Delta, finish: String? = nil) -> ChatCompletionChunk {
                    ChatCompletionChunk(id: id, created: created, model: model, delta: delta, finishReason: finish)
                }
                try send(WithSources(completion: chunk(.init(role: "assistant", content: "")), fontes: fontes, perguntaReformulada: reformulated))
                let timing = metrics.streamTiming(start: start, retrieved: retrieved)
                for try await event in stream.events {
                    timing.observe(event)
                    switch event {
                    case .text(let piece): try send(chunk(.init(content: piece)))
                    case .finished(_, let summary): try send(chunk(.init(), finish: summary?.finishReason.rawValue ?? "stop"))
                    }
                }
            }
        }
        let answer = try await knowledge.answerer.answer(question: question)
        metrics.record(answer)
        // The generator's counts and finish reason when the chat model wrote; none for quoted evidence.
        let usage = answer.generation.map { Usage($0.usage) }
        return try WithSources(
            completion: ChatCompletionResponse(
                id: id, created: created, model: model, content: answer.text,
                finishReason: answer.generation?.finishReason.rawValue ?? "stop", usage: usage),
            fontes: Fonte.list(answer.sources, evidence: answer.evidence.units), perguntaReformulada: reformulated
        ).response(from: request, context: context)
    }

    /// `GET /v1/models`: the chatbot, the one model OpenAI clients can name here.
    @Sendable func models(request: Request, context: Context) async throws -> ModelList {
        ModelList(data: [.init(id: "guiche", created: 0, ownedBy: "guiche")])
    }

    /// `POST /ingest`, optionally `{"forcar": true}` to allow removing most documents; a refused
    /// sync is a 409 saying why, with nothing changed.
    @Sendable func ingest(request: Request, context: Context) async throws -> IngestResponse {
        var request = request
        let body = try await request.collectBody(upTo: 4096)
        var force = false
        if body.readableBytes > 0 {
            force = try await JSONRequest.decode(IngestRequest.self, from: Request(head: request.head, body: .init(buffer: body)), context: context)
                .forcar ?? false
        }
        do {
            return IngestResponse(report: try await knowledge.ingest(allowMassRemoval: force))
        } catch let refusal as IngestRefusal {
            throw APIError(status: .conflict, type: "conflict_error", message: "\(refusal)")
        } catch let busy as IngestInProgress {
            throw APIError(status: .conflict, type: "conflict_error", message: "\(busy)")
        }
    }

    @Sendable func documents(request: Request, context: Context) async throws -> DocumentsResponse {
        DocumentsResponse(
            documentos: try await knowledge.documents().map {
                .init(documento: $0.path, titulo: $0.title, formato: $0.format, trechos: $0.chunkCount, indexadoEm: $0.indexedAt)
            },
            falhas: (await knowledge.latestReport?.failed ?? []).map { .init(documento: $0.path, motivo: $0.reason) })
    }

    /// The index is loaded and every model service answers.
    func isReady() async -> Bool {
        guard await knowledge.isLoaded else { return false }
        return await dependencies().values.allSatisfy { $0 }
    }

    @Sendable func health(request: Request, context: Context) async throws -> RAGHealth {
        let loaded = await knowledge.isLoaded
        let services = await dependencies()
        let ready = loaded && services.values.allSatisfy { $0 }
        return RAGHealth(
            status: ready ? "ok" : (loaded ? "degraded" : "loading"), ready: ready, documents: try await knowledge.documents().count,
            chunks: try await knowledge.chunkCount(), embeddingModel: embeddingModelName, chatModel: chatModelName, services: services)
    }

    static func check(_ question: String, topK: Int?) throws -> String {
        let trimmed = question.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { throw APIError.invalidRequest("'pergunta' is empty", param: "pergunta") }
        if trimmed.count > maxQuestionLength {
            throw APIError.invalidRequest("'pergunta' has \(trimmed.count) characters; at most \(maxQuestionLength)", param: "pergunta")
        }
        if let topK, !(1...20).contains(topK) {
            throw APIError.invalidRequest("'top_k' must be within 1...20, got \(topK)", param: "top_k")
        }
        return trimmed
    }
}
