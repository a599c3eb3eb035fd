import LlamaRuntime
import Prometheus

/// Merges embedding requests that arrive together into shared forward passes. While the embedder
/// is busy, new requests queue; when it frees up, everything queued (up to `maxTextsPerPass`)
/// goes in one call. An idle embedder starts at once, so a lone request waits for nothing.
public actor EmbeddingBatcher {
    private struct Pending {
        var inputs: [Embedder.PreparedText]
        var continuation: CheckedContinuation<[TextVectors], any Error>
        var windows: Int { inputs.reduce(0) { $0 + $1.windows.count } }
    }

    /// Vectors in the order of the texts (sparse ones too when the model has a sparse head), and
    /// the tokens the model read for them.
    public struct Result: Sendable {
        public var vectors: [TextVectors]
        public var tokens: Int

        public var embeddings: [[Float]] { vectors.map(\.dense) }
    }

    public nonisolated let embedder: Embedder
    private let maxTextsPerPass: Int
    private let batchSizes: ValueHistogram?
    private let queueDepth: Gauge?
    private var pending: [Pending] = []
    private var running = false

    /// - Parameters:
    ///   - maxTextsPerPass: texts merged into one embedder call (`EMBEDDING_BATCH_SIZE`).
    ///   - metrics: records `embedding_batch_texts` (texts per call) and `embedding_queue_depth`.
    public init(embedder: Embedder, maxTextsPerPass: Int, metrics: PrometheusCollectorRegistry? = nil) {
        self.embedder = embedder
        self.maxTextsPerPass = max(1, maxTextsPerPass)
        self.batchSizes = metrics?.makeValueHistogram(name: "embedding_batch_texts", buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512])
        self.queueDepth = metrics?.makeGauge(name: "embedding_queue_depth")
    }

    /// Embeds `texts`, each after `prefix`, with their sparse vectors when `sparse` (validated
    /// first, so a bad text fails only its own request).
    public func embed(_ texts: [String], prefix: String = "", sparse: Bool = false) async throws -> Result {
        let inputs = try embedder.prepare(texts, prefix: prefix, sparseCount: sparse ? texts.count : 0)
        if inputs.isEmpty { return Result(vectors: [], tokens: 0) }
        let vectors: [TextVectors] = try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(inputs: inputs, continuation: continuation))
            queueDepth?.set(Double(pending.count))
            if !running {
                running = true
                Task { await self.drain() }
            }
        }
        return Result(vectors: vectors, tokens: inputs.reduce(0) { $0 + $1.tokenCount })
    }

    private func drain() async {
        while !pending.isEmpty {
            var group: [Pending] = [pending.removeFirst()]
            var count = group[0].windows
            while let next = pending.first, count + next.windows <= maxTextsPerPass {
                group.append(pending.removeFirst())
                count += next.windows
            }
            queueDepth?.set(Double(pending.count))
            batchSizes?.record(Double(count))
            do {
                let vectors = try await embedder.vectors(prepared: group.flatMap(\.inputs))
                var offset = 0
                for request in group {
                    request.continuation.resume(returning: Array(vectors[offset..<(offset + request.inputs.count)]))
                    offset += request.inputs.count
                }
            } catch {
                group.forEach { $0.continuation.resume(throwing: error) }
            }
        }
        running = false
    }
}
