import Foundation
import Hummingbird
import NIOCore
import ServiceSupport
import Synchronization

/// A budget of questions per client: each client (its API key when the service has keys, else its
/// address) has a bucket of `perMinute` questions, refilled continuously; a question beyond it is
/// answered 429 with `Retry-After` (seconds until the next one is allowed). `RATE_LIMIT_PER_MINUTE`.
struct RateLimitMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    let limiter: RateLimiter
    let keyed: Bool

    init(perMinute: Int, keyed: Bool) {
        self.limiter = RateLimiter(perMinute: perMinute)
        self.keyed = keyed
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, QuestionAdmissionMiddleware<Context>.questionRoutes.contains(request.uri.path) else {
            return try await next(request, context)
        }
        // A key only names the client once `APIKeyMiddleware` has checked it (else anyone could
        // send a new made-up key with every question).
        let client = (keyed ? APIKeyMiddleware<Context>.presentedKey(request).map { "key " + APIKeys.digest($0) } : nil)
            ?? "address " + (context.remoteAddress?.ipAddress ?? "unknown")
        if let wait = limiter.take(for: client, at: .now) {
            throw APIError(
                status: .tooManyRequests, type: "rate_limit_error",
                message: "more than \(limiter.perMinute) questions a minute from this client; try again in \(wait) s (RATE_LIMIT_PER_MINUTE)",
                headers: [.retryAfter: "\(wait)"])
        }
        return try await next(request, context)
    }
}

/// Token buckets by client name, bounded in memory (full buckets are forgotten when there are many).
final class RateLimiter: Sendable {
    let perMinute: Int
    private let buckets = Mutex<[String: Bucket]>([:])
    static var forgetAbove: Int { 10_000 }

    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    init(perMinute: Int) {
        self.perMinute = perMinute
    }

    /// Takes one question from `client`'s bucket: nil when allowed, else the whole seconds to wait.
    func take(for client: String, at now: ContinuousClock.Instant) -> Int? {
        let capacity = Double(perMinute), perSecond = Double(perMinute) / 60
        return buckets.withLock { buckets in
            if buckets.count > Self.forgetAbove {
                buckets = buckets.filter { refilled($0.value, at: now, capacity: capacity, perSecond: perSecond) < capacity }
            }
            var bucket = buckets[client] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = refilled(bucket, at: now, capacity: capacity, perSecond: perSecond)
            bucket.updated = now
            defer { buckets[client] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }

    private func refilled(_ bucket: Bucket, at now: ContinuousClock.Instant, capacity: Double, perSecond: Double) -> Double {
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(capacity, bucket.tokens + seconds * perSecond)
    }
}
