import CoreMetrics
import Hummingbird
import Prometheus
import Synchronization

/// A service's Prometheus registry and the HTTP metrics every service shares. Created once at
/// startup and passed to whatever records metrics; `GET /metrics` renders it.
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    private let scrapeHooks = Mutex<[@Sendable () async -> Void]>([])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// A registry that also receives everything reported through swift-metrics' global API
    /// (`MetricsSystem`), for executables: the process-wide system can be bootstrapped only once.
    public static func bootstrappingMetricsSystem() -> ServiceMetrics {
        let metrics = ServiceMetrics()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        return metrics
    }

    /// Runs `update` before every scrape, for gauges read from live state (queue depth, …).
    public func onScrape(_ update: @escaping @Sendable () async -> Void) {
        scrapeHooks.withLock { $0.append(update) }
    }

    /// The metrics in Prometheus' text format, gauges refreshed.
    public func render() async -> [UInt8] {
        for hook in scrapeHooks.withLock({ $0 }) { await hook() }
        return registry.emitToBuffer()
    }

    /// Counts a finished request by route pattern, method and status.
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let labels = [("route", route), ("method", method), ("status", "\(status)")]
        registry.makeCounter(descriptor: Self.requests, labels: labels).increment()
        registry.makeDurationHistogram(descriptor: Self.requestDuration, labels: [("route", route)], buckets: Self.latencyBuckets)
            .recordNanoseconds(duration.nanoseconds)
    }

    private static var requests: MetricNameDescriptor {
        .init(metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route pattern, method and status")
    }
    private static var requestDuration: MetricNameDescriptor {
        .init(metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency by route pattern")
    }

    /// Buckets from 1 ms to 60 s for request and generation latencies.
    public static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    /// Adds `GET /metrics` in Prometheus' text format.
    public func addRoute<Context: RequestContext>(to router: Router<Context>) {
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: await self.render())))
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

