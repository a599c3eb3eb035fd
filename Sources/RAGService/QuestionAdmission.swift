import Hummingbird
import ServiceSupport
import Synchronization

/// Load shedding for the routes that answer questions. A question is answered at once with 503
/// and `Retry-After` instead of joining a queue nobody would wait for when `limit` questions are
/// already in the service (answering, streaming or waiting for the models; `MAX_PENDING_QUESTIONS`),
/// or when, at the pace answers have been leaving lately, it would wait longer than `maxWait`
/// for the ones ahead (`MAX_QUESTION_WAIT_SECONDS`); before that pace is known, each question
/// ahead counts for the time a question has taken lately, as if answered one at a time. A question leaves when its last byte is written.
struct QuestionAdmissionMiddleware<Context: RequestContext>: RouterMiddleware {
    static var questionRoutes: Set<String> { ["/chat", "/chat/stream", "/search", "/v1/chat/completions"] }

    let load: QuestionLoad

    init(limit: Int, maxWait: Duration = .seconds(30)) {
        self.load = QuestionLoad(limit: limit, maxWait: maxWait)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, Self.questionRoutes.contains(request.uri.path) else { return try await next(request, context) }
        let load = self.load
        let admitted = ContinuousClock.now
        if let refusal = load.admit(at: admitted) { throw refusal }
        do {
            var response = try await next(request, context)
            response.body = response.body.afterWriting { completed in load.leave(admitted: admitted, at: .now, answered: completed) }
            return response
        } catch {
            load.leave(admitted: admitted, at: .now, answered: false)
            throw error
        }
    }
}

/// The questions in the service and the pace at which they leave while others wait, shared by
/// every request.
final class QuestionLoad: Sendable {
    let limit: Int
    let maxWait: Duration
    private let state = Mutex(State())

    /// Busy intervals kept for the pace.
    static var window: Int { 16 }

    struct State {
        var inService = 0
        /// The last departure that left questions in the service; nil while the service is idle.
        var busySince: ContinuousClock.Instant?
        /// Time between consecutive departures while questions were in the service throughout.
        var busyIntervals: [Duration] = []
        /// Time recent questions spent in the service.
        var serviceTimes: [Duration] = []
    }

    init(limit: Int, maxWait: Duration) {
        self.limit = limit
        self.maxWait = maxWait
    }

    /// Admits a question (nil) or says why not: 503 with the seconds to wait before trying again.
    func admit(at now: ContinuousClock.Instant) -> APIError? {
        state.withLock { state in
            guard state.inService < limit else {
                return APIError.overloaded("\(limit) questions are being answered; try again in a moment (MAX_PENDING_QUESTIONS)", retryAfterSeconds: 2)
            }
            if let wait = Self.expectedWait(ahead: state.inService, busyIntervals: state.busyIntervals, serviceTimes: state.serviceTimes),
               wait > maxWait {
                let retry = max(1, Int((wait - maxWait).components.seconds) + 1)
                return APIError.overloaded(
                    "the questions ahead would keep this one waiting about \(wait.components.seconds) s, more than \(maxWait.components.seconds) s; try again in \(retry) s (MAX_QUESTION_WAIT_SECONDS)",
                    retryAfterSeconds: retry)
            }
            state.inService += 1
            return nil
        }
    }

    /// A question leaves; only one `answered` (its response written whole) measures the pace: a
    /// refused, failed or abandoned one leaves early and would make the service look faster.
    func leave(admitted: ContinuousClock.Instant, at now: ContinuousClock.Instant, answered: Bool = true) {
        state.withLock { state in
            state.inService -= 1
            guard answered else {
                if state.inService == 0 { state.busySince = nil }
                return
            }
            state.serviceTimes.append(now - admitted)
            if state.serviceTimes.count > Self.window { state.serviceTimes.removeFirst() }
            // Between two departures questions only arrive: if the previous one left some behind,
            // the service was busy all along and this interval measures its pace.
            if let since = state.busySince {
                state.busyIntervals.append(now - since)
                if state.busyIntervals.count > Self.window { state.busyIntervals.removeFirst() }
            }
            state.busySince = state.inService > 0 ? now : nil
        }
    }

    var inService: Int { state.withLock { $0.inService } }

    /// How long `ahead` questions take to leave: at the busy pace once 4 busy intervals are
    /// measured, else at the recent time in service each (no parallelism assumed); nil when
    /// nothing is measured yet.
    static func expectedWait(ahead: Int, busyIntervals: [Duration], serviceTimes: [Duration]) -> Duration? {
        guard ahead > 0 else { return nil }
        let pace = busyIntervals.count >= 4 ? busyIntervals : serviceTimes
        guard !pace.isEmpty else { return nil }
        return pace.reduce(Duration.zero, +) / pace.count * ahead
    }
}
