import Prometheus
import RAGCore
import ServiceSupport

/// The chatbot's Prometheus metrics, created once with fixed labels.
struct RAGMetrics: Sendable {
    let retrieval: DurationHistogram
    let timeToFirstToken: DurationHistogram
    let generation: DurationHistogram
    let answers: Counter
    let refusals: Counter

    init(metrics: ServiceMetrics, knowledge: KnowledgeBase) {
        let registry = metrics.registry
        retrieval = registry.makeDurationHistogram(
            name: "rag_retrieval_seconds", buckets: ServiceMetrics.latencyBuckets, help: "Question embedding, dense and keyword search")
        timeToFirstToken = registry.makeDurationHistogram(
            name: "rag_time_to_first_token_seconds", buckets: ServiceMetrics.latencyBuckets, help: "From retrieval's end to the answer's first text")
        generation = registry.makeDurationHistogram(
            name: "rag_generation_seconds", buckets: ServiceMetrics.latencyBuckets, help: "From retrieval's end to the answer's end")
        answers = registry.makeCounter(name: "rag_answers_total", help: "Questions answered (refusals included)")
        refusals = registry.makeCounter(name: "rag_refusals_total", help: "Questions refused for lack of evidence")
        let documents = registry.makeGauge(name: "rag_documents", help: "Documents in the index")
        let chunks = registry.makeGauge(name: "rag_chunks", help: "Chunks in the index")
        metrics.onScrape {
            if let count = try? await knowledge.documents().count { documents.set(Double(count)) }
            if let count = try? await knowledge.chunkCount() { chunks.set(Double(count)) }
        }
    }

    func record(_ answer: Answer) {
        answers.increment()
        if answer.refused { refusals.increment() }
        retrieval.record(answer.timings.retrieval)
        if let ttft = answer.timings.timeToFirstToken { timeToFirstToken.record(ttft) }
        generation.record(answer.timings.generation)
    }
}
