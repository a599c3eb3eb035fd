import Foundation

/// Who may call the rag service, and how much: its API keys, who reaches the admin routes without
/// them, the web pages allowed to call it, and the limits on questions.
public struct RAGAccess: Sendable {
    /// The keys routes ask for (`APIKeyMiddleware`); none leaves the question routes open.
    public var keys: APIKeys
    /// Without keys, whether clients on other machines reach the admin routes (`/ingest`,
    /// `/documents`, `/metrics`). Off by default for a service listening beyond loopback
    /// (`ADMIN_OPEN=true` opens them on a trusted network); loopback clients always do.
    public var adminOpenWithoutKeys: Bool
    /// Web pages, besides the service's own, that may call it from a browser
    /// (`OriginPolicyMiddleware`); "*" for any.
    public var allowedOrigins: [String]
    /// Questions in the service at once; more get 503 (`QuestionAdmissionMiddleware`).
    public var maxPendingQuestions: Int
    /// Longest a question may expect to wait for the ones ahead of it, at the pace answers leave
    /// when the service is busy; beyond, 503 at once (`QuestionAdmissionMiddleware`).
    public var maxQuestionWait: Duration
    /// Questions per minute a client may ask — per API key, else per address; 0: no limit
    /// (`RateLimitMiddleware`).
    public var questionsPerMinute: Int

    public init(
        keys: APIKeys = .none, adminOpenWithoutKeys: Bool = true, allowedOrigins: [String] = [], maxPendingQuestions: Int = 64,
        maxQuestionWait: Duration = .seconds(30), questionsPerMinute: Int = 0
    ) {
        self.keys = keys
        self.adminOpenWithoutKeys = adminOpenWithoutKeys
        self.allowedOrigins = allowedOrigins
        self.maxPendingQuestions = maxPendingQuestions
        self.maxQuestionWait = maxQuestionWait
        self.questionsPerMinute = questionsPerMinute
    }
}
