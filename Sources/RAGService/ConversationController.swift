import Foundation
import Hummingbird
import RAGCore
import ServiceSupport

/// Conversations and feedback: `POST /conversas`, `GET /conversas/{id}`, `POST /feedback`,
/// `GET /feedback` (admin; JSON lines).
struct ConversationController<Context: RequestContext>: Sendable {
    let conversations: any ConversationStore
    let embeddingModelName: String
    let chatModelName: String
    /// Longest feedback comment, in characters.
    static var maxCommentLength: Int { 2000 }

    func addRoutes(to router: Router<Context>) {
        router.post("/conversas", use: start)
        router.get("/conversas/{id}", use: show)
        router.post("/feedback", use: giveFeedback)
        router.get("/feedback", use: export)
    }

    @Sendable func start(request: Request, context: Context) async throws -> EditedResponse<ConversaResponse> {
        EditedResponse(status: .created, response: ConversaResponse(try await conversations.startConversation()))
    }

    @Sendable func show(request: Request, context: Context) async throws -> ConversaResponse {
        let id = try context.parameters.require("id")
        guard let conversation = try await conversations.conversation(id: id) else { throw Self.unknown(id) }
        return ConversaResponse(conversation)
    }

    @Sendable func giveFeedback(request: Request, context: Context) async throws -> Response {
        let body = try await JSONRequest.decode(FeedbackRequest.self, from: request, context: context)
        if body.pergunta.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw APIError.invalidRequest("'pergunta' is empty", param: "pergunta")
        }
        if let comment = body.comentario, comment.count > Self.maxCommentLength {
            throw APIError.invalidRequest("'comentario' has \(comment.count) characters; at most \(Self.maxCommentLength)", param: "comentario")
        }
        if let id = body.conversa, try await conversations.conversation(id: id) == nil { throw Self.unknown(id) }
        let sources = try body.fontes.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await conversations.record(Feedback(
            vote: body.voto, comment: body.comentario?.trimmingCharacters(in: .whitespacesAndNewlines), question: body.pergunta,
            answer: body.resposta, sources: sources, conversationID: body.conversa, embeddingModel: embeddingModelName,
            chatModel: chatModelName))
        return Response(status: .created)
    }

    /// Every feedback, one JSON object per line (`application/x-ndjson`), oldest first.
    @Sendable func export(request: Request, context: Context) async throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = ""
        for feedback in try await conversations.feedback() {
            text += String(decoding: try encoder.encode(FeedbackLine(feedback)), as: UTF8.self) + "\n"
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func unknown(_ id: String) -> APIError {
        APIError(status: .notFound, type: "not_found_error", message: "no conversation '\(id.prefix(80))'; start one with POST /conversas", param: "conversa")
    }
}
