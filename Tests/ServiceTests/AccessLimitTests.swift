import Foundation
import GuicheAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import RAGService
import ServiceSupport
import Testing

/// A request context whose client is another machine (documentation address 203.0.113.7).
struct RemoteClientContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = try! SocketAddress(ipAddress: "203.0.113.7", port: 40000)
    }
}

@Suite("access limits")
struct AccessLimitTests {
    /// The rag service's access middlewares in front of stand-in routes, for a client on another machine.
    static func remoteRouter(keys: APIKeys = .none, adminOpen: Bool, perMinute: Int = 0) -> Router<RemoteClientContext> {
        let router = Router(context: RemoteClientContext.self)
        router.add(middleware: APIErrorMiddleware())
        router.add(middleware: APIKeyMiddleware(keys: keys, adminOpenWithoutKeys: adminOpen))
        if perMinute > 0 { router.add(middleware: RateLimitMiddleware(perMinute: perMinute, keyed: !keys.isEmpty)) }
        router.post("/ingest") { _, _ in "indexed" }
        router.get("/metrics") { _, _ in "metrics" }
        router.post("/chat") { _, _ in "answer" }
        return router
    }

    @Test("without API keys, admin routes refuse other machines unless ADMIN_OPEN; questions stay open")
    func adminNeedsKeyBeyondLoopback() async throws {
        try await Application(router: Self.remoteRouter(adminOpen: false)).test(.router) { client in
            for (path, method) in [("/ingest", HTTPRequest.Method.post), ("/metrics", .get)] {
                try await client.execute(uri: path, method: method) { response in
                    #expect(response.status == .unauthorized, "\(path)")
                    let message = try response.json(ErrorBody.self).error.message
                    #expect(message.contains("API_KEYS") && message.contains("ADMIN_OPEN"), "\(message)")
                }
            }
            try await client.execute(uri: "/chat", method: .post) { #expect($0.status == .ok) }
        }
        try await Application(router: Self.remoteRouter(adminOpen: true)).test(.router) { client in
            try await client.execute(uri: "/ingest", method: .post) { #expect($0.status == .ok) }
        }
        #expect(APIKeyMiddleware<RemoteClientContext>.isLoopback(try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
        #expect(APIKeyMiddleware<RemoteClientContext>.isLoopback(try SocketAddress(ipAddress: "::1", port: 1)))
        #expect(!APIKeyMiddleware<RemoteClientContext>.isLoopback(try SocketAddress(ipAddress: "10.0.0.2", port: 1)))
    }

    @Test("beyond RATE_LIMIT_PER_MINUTE a client gets 429 with Retry-After; another key has its own budget")
    func rateLimit() async throws {
        try await Application(router: Self.remoteRouter(adminOpen: false, perMinute: 3)).test(.router) { client in
            for attempt in 1...3 {
                try await client.execute(uri: "/chat", method: .post) { #expect($0.status == .ok, "question \(attempt)") }
            }
            try await client.execute(uri: "/chat", method: .post) { response in
                #expect(response.status == .tooManyRequests)
                // One question every 20 s at 3 a minute (less the time the first three took).
                #expect(response.headers[.retryAfter].flatMap(Int.init).map { (1...20).contains($0) } == true)
                #expect((try? response.json(ErrorBody.self))?.error.message.contains("RATE_LIMIT_PER_MINUTE") == true)
            }
            // A made-up key does not buy a new budget when the service has no keys.
            try await client.execute(uri: "/chat", method: .post, headers: [.authorization: "Bearer invented"]) {
                #expect($0.status == .tooManyRequests)
            }
        }
        let first = APIKeys.generate(scope: .consulta), second = APIKeys.generate(scope: .consulta)
        let keys = try APIKeys.parse("\(first.entry) \(second.entry)")
        try await Application(router: Self.remoteRouter(keys: keys, adminOpen: false, perMinute: 1)).test(.router) { client in
            try await client.execute(uri: "/chat", method: .post, headers: [.authorization: "Bearer \(first.key)"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/chat", method: .post, headers: [.authorization: "Bearer \(first.key)"]) {
                #expect($0.status == .tooManyRequests)
            }
            try await client.execute(uri: "/chat", method: .post, headers: [.authorization: "Bearer \(second.key)"]) { #expect($0.status == .ok) }
        }
    }

    @Test("a rate limiter refills its buckets with time, one bucket per client")
    func bucketRefills() {
        let limiter = RateLimiter(perMinute: 60)
        let start = ContinuousClock.now
        for _ in 0..<60 { #expect(limiter.take(for: "a", at: start) == nil) }
        #expect(limiter.take(for: "a", at: start) == 1)
        #expect(limiter.take(for: "a", at: start + .seconds(1)) == nil, "one more after a second")
        #expect(limiter.take(for: "b", at: start) == nil, "another client has its own bucket")
    }

    @Test("a question that would wait longer than MAX_QUESTION_WAIT_SECONDS at the busy pace is turned away at once")
    func expectedWait() {
        let load = QuestionLoad(limit: 64, maxWait: .seconds(30))
        var now = ContinuousClock.now
        #expect(load.admit(at: now) == nil, "nothing measured yet")
        load.leave(admitted: now, at: now + .seconds(12))
        now += .seconds(12)
        // No pace measured under load yet: each question ahead counts for the 12 s one took.
        for _ in 0..<3 { #expect(load.admit(at: now) == nil) }
        #expect(load.admit(at: now)?.status == .serviceUnavailable, "3 ahead × 12 s = 36 s")
        // Busy: one answer leaves every 10 s while others wait, and another question comes.
        for _ in 0..<5 {
            now += .seconds(10)
            load.leave(admitted: now - .seconds(10), at: now)
            #expect(load.admit(at: now) == nil, "2 ahead × 10 s is within 30 s")
        }
        #expect(load.admit(at: now) == nil, "3 ahead × 10 s = 30 s")
        let refusal = load.admit(at: now)
        #expect(refusal?.status == .serviceUnavailable)
        #expect(refusal?.headers[.retryAfter] == "11", "4 ahead × 10 s = 40 s: 10 s too long")
        #expect(refusal?.message.contains("MAX_QUESTION_WAIT_SECONDS") == true)
        // Questions that leave unanswered (refused, failed, abandoned) leave fast: they do not
        // make the service look faster.
        for _ in 0..<16 { load.leave(admitted: now, at: now + .milliseconds(1), answered: false); #expect(load.admit(at: now) == nil) }
        #expect(load.admit(at: now)?.status == .serviceUnavailable, "still 4 ahead × 10 s")
    }
}
