import LlamaRuntime
import Prometheus
import RAGCore
import ServiceSupport

/// The chatbot's Prometheus metrics, created once with fixed labels: every answer counts, whole
/// or streamed, on every route that answers.
struct RAGMetrics: Sendable {
    let retrieval: DurationHistogram
    let timeToFirstToken: DurationHistogram
    let generation: DurationHistogram
    let answers: Counter
    let refusals: Counter
    /// The in-process generator's metrics (all-in-one shape); the generator service keeps its own.
    let model: GenerationMetrics?

    init(metrics: ServiceMetrics, knowledge: KnowledgeBase, generator: Generator?) {
        let registry = metrics.registry
        retrieval = registry.makeDurationHistogram(
            name: "rag_retrieval_seconds", buckets: ServiceMetrics.latencyBuckets, help: "Question embedding, dense and keyword search")
        timeToFirstToken = registry.makeDurationHistogram(
            name: "rag_time_to_first_token_seconds", buckets: ServiceMetrics.latencyBuckets, help: "From retrieval's end to the answer's first text")
        generation = registry.makeDurationHistogram(
            name: "rag_generation_seconds", buckets: ServiceMetrics.latencyBuckets, help: "From retrieval's end to the answer's end")
        answers = registry.makeCounter(name: "rag_answers_total", help: "Questions answered (refusals included), whole or streamed")
        refusals = registry.makeCounter(name: "rag_refusals_total", help: "Questions refused for lack of evidence")
        model = generator.map { GenerationMetrics(metrics: metrics, generator: $0) }
        let documents = registry.makeGauge(name: "rag_documents", help: "Documents in the index")
        let chunks = registry.makeGauge(name: "rag_chunks", help: "Chunks in the index")
        metrics.onScrape {
            if let count = try? await knowledge.documents().count { documents.set(Double(count)) }
            if let count = try? await knowledge.chunkCount() { chunks.set(Double(count)) }
        }
    }

    func record(_ answer: Answer) {
        record(
            mode: answer.mode, retrieval: answer.timings.retrieval, timeToFirstToken: answer.timings.timeToFirstToken,
            generation: answer.timings.generation, summary: answer.generation)
    }

    func record(mode: AnswerMode, retrieval: Duration, timeToFirstToken: Duration?, generation: Duration, summary: GenerationSummary?) {
        answers.increment()
        if mode == .refusal { refusals.increment() }
        self.retrieval.record(retrieval)
        if let timeToFirstToken { self.timeToFirstToken.record(timeToFirstToken) }
        self.generation.record(generation)
        if let summary { model?.record(summary) }
    }

    /// Times a streamed answer whose retrieval ran from `start` to `retrieved`; records it when
    /// its last event passes.
    func streamTiming(start: ContinuousClock.Instant, retrieved: ContinuousClock.Instant) -> StreamTiming {
        StreamTiming(metrics: self, start: start, retrieved: retrieved)
    }

    final class StreamTiming {
        let metrics: RAGMetrics
        let start: ContinuousClock.Instant
        let retrieved: ContinuousClock.Instant
        var firstText: ContinuousClock.Instant?

        init(metrics: RAGMetrics, start: ContinuousClock.Instant, retrieved: ContinuousClock.Instant) {
            self.metrics = metrics
            self.start = start
            self.retrieved = retrieved
        }

        func observe(_ event: AnswerEvent) {
            switch event {
            case .text: if firstText == nil { firstText = .now }
            case .finished(let mode, let summary):
                metrics.record(
                    mode: mode, retrieval: retrieved - start, timeToFirstToken: firstText.map { $0 - retrieved },
                    generation: .now - retrieved, summary: summary)
            }
        }
    }
}
