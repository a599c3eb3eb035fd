import Hummingbird
import ServiceSupport
import Synchronization

/// Load shedding for the routes that answer questions: at most `limit` questions are in the
/// service at once (answering, streaming or waiting for the models); one more is answered at once
/// with 503 and `Retry-After` instead of joining a queue nobody would wait for
/// (`MAX_PENDING_QUESTIONS`). A question leaves when its last byte is written.
struct QuestionAdmissionMiddleware<Context: RequestContext>: RouterMiddleware {
    static var questionRoutes: Set<String> { ["/chat", "/chat/stream", "/search", "/v1/chat/completions"] }

    let limit: Int
    let inService: Counter

    /// The questions in the service now, shared by every request.
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
        init() {}
    }

    init(limit: Int) {
        self.limit = limit
        self.inService = Counter()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, Self.questionRoutes.contains(request.uri.path) else { return try await next(request, context) }
        let counter = inService
        let admitted = counter.value.add(1, ordering: .relaxed).newValue
        guard admitted <= limit else {
            counter.value.subtract(1, ordering: .relaxed)
            throw APIError.overloaded(
                "\(limit) questions are being answered; try again in a moment (MAX_PENDING_QUESTIONS)", retryAfterSeconds: 2)
        }
        do {
            var response = try await next(request, context)
            response.body = response.body.afterWriting { counter.value.subtract(1, ordering: .relaxed) }
            return response
        } catch {
            counter.value.subtract(1, ordering: .relaxed)
            throw error
        }
    }
}
