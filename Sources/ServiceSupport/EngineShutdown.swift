import ServiceLifecycle

/// Ties an inference engine's shutdown to the service group's graceful shutdown. Listed before the
/// HTTP application in a `ServiceGroup`, it runs after the application has stopped accepting and
/// finished its requests (services shut down in reverse order).
public struct EngineShutdown: Service {
    private let shutdown: @Sendable () -> Void

    public init(_ shutdown: @escaping @Sendable () -> Void) {
        self.shutdown = shutdown
    }

    public func run() async throws {
        try? await gracefulShutdown()
        shutdown()
    }
}
