import LlamaRuntime
import Prometheus

/// The generator's Prometheus metrics, created once with fixed labels: served by the generator
/// service, and by the all-in-one chatbot for its in-process generator.
public struct GenerationMetrics: Sendable {
    let promptTokens: Counter
    let completionTokens: Counter
    let cachedPromptTokens: Counter
    let timeToFirstToken: DurationHistogram
    let tokensPerSecond: ValueHistogram

    public init(metrics: ServiceMetrics, generator: Generator) {
        let registry = metrics.registry
        promptTokens = registry.makeCounter(name: "generation_prompt_tokens_total", help: "Prompt tokens received")
        completionTokens = registry.makeCounter(name: "generation_completion_tokens_total", help: "Tokens generated")
        cachedPromptTokens = registry.makeCounter(name: "generation_cached_prompt_tokens_total", help: "Prompt tokens served from the KV cache")
        timeToFirstToken = registry.makeDurationHistogram(
            name: "generation_time_to_first_token_seconds", buckets: ServiceMetrics.latencyBuckets, help: "Submission to first token")
        tokensPerSecond = registry.makeValueHistogram(
            name: "generation_tokens_per_second", buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500], help: "Generated tokens per second of each request")
        let inFlight = registry.makeGauge(name: "generation_in_flight_sequences", help: "Requests being decoded")
        let queued = registry.makeGauge(name: "generation_queue_depth", help: "Requests waiting for a sequence")
        metrics.onScrape {
            let statistics = generator.statistics
            inFlight.set(Double(statistics.activeSequences))
            queued.set(Double(statistics.queuedRequests))
        }
    }

    public func record(_ summary: GenerationSummary) {
        promptTokens.increment(by: Int64(summary.usage.promptTokens))
        completionTokens.increment(by: Int64(summary.usage.completionTokens))
        cachedPromptTokens.increment(by: Int64(summary.usage.cachedPromptTokens))
        if let ttft = summary.timeToFirstToken {
            timeToFirstToken.record(ttft)
            let generating = summary.totalTime - ttft
            let seconds = Double(generating.components.seconds) + Double(generating.components.attoseconds) / 1e18
            if summary.usage.completionTokens > 1, seconds > 0 {
                tokensPerSecond.record(Double(summary.usage.completionTokens - 1) / seconds)
            }
        }
    }
}
