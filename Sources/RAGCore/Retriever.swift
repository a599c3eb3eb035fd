import Foundation

/// A passage retrieval found for a question.
public struct RetrievedSource: Sendable, Codable, Equatable {
    public var documentPath: String
    public var documentTitle: String
    public var location: String
    public var text: String
    /// Cosine similarity between the question and the passage (0…1 for related text).
    public var similarity: Float
    /// Chunk ids behind this source (several when neighbours were merged).
    public var chunkIDs: [Int64]
}

/// Hybrid retrieval: exact dense search and BM25 keyword search (which catches identifiers such
/// as "art. 147" or "Resolução 789" exactly), fused by reciprocal rank (the keyword side at half
/// weight unless the question names an identifier); neighbouring chunks of one document are merged
/// into one source.
public actor Retriever {
    private let store: any IndexStore
    private let embedding: any TextEmbedding
    private let vocabulary: Vocabulary
    private var index = VectorIndex(VectorSnapshot(ids: [], dimensions: 0, values: []))
    private var rowOf: [Int64: Int] = [:]
    /// Candidates taken from each side before fusion.
    private let candidates: Int
    private static let rrfK = 60.0

    /// - Parameter vocabulary: everyday ↔ legal terms added to the keyword side of a question.
    public init(store: any IndexStore, embedding: any TextEmbedding, vocabulary: Vocabulary = .empty, candidates: Int = 40) {
        self.store = store
        self.embedding = embedding
        self.vocabulary = vocabulary
        self.candidates = candidates
    }

    /// Loads the collection's vectors (after a sync).
    public func reload() async throws {
        let snapshot = try await store.vectors()
        index = VectorIndex(snapshot)
        rowOf = Dictionary(uniqueKeysWithValues: snapshot.ids.enumerated().map { ($1, $0) })
    }

    public var chunkCount: Int { index.count }

    /// The `topK` best sources for `question`, best first.
    public func retrieve(_ question: String, topK: Int) async throws -> [RetrievedSource] {
        var embeddingTime = Duration.zero
        return try await retrieve(question, topK: topK, embeddingTime: &embeddingTime)
    }

    /// The same, also telling how long embedding the question took (the model's share).
    public func retrieve(_ question: String, topK: Int, embeddingTime: inout Duration) async throws -> [RetrievedSource] {
        guard index.count > 0, topK > 0 else { return [] }
        let embeddingStart = ContinuousClock.now
        let query = try await embedding.embed([question], kind: .query)[0]
        embeddingTime = ContinuousClock.now - embeddingStart
        let dense = index.search(query, k: candidates)
        let keywordQuery = KeywordQuery(question, vocabulary: vocabulary)
        let keyword = try await store.keywordSearch(keywordQuery, limit: candidates)
        // Paraphrased questions are the dense side's strength; identifiers ("art. 147") the
        // keyword side's: it counts fully only when the question names one.
        let keywordWeight = keywordQuery.phrases.isEmpty ? 0.5 : 1.0
        var fused: [Int64: Double] = [:]
        for (rank, hit) in dense.enumerated() { fused[hit.id, default: 0] += 1 / (Self.rrfK + Double(rank + 1)) }
        for (rank, id) in keyword.enumerated() { fused[id, default: 0] += keywordWeight / (Self.rrfK + Double(rank + 1)) }
        let ranked = fused.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(topK).map(\.key)
        let chunks = try await store.chunks(ids: Array(ranked))
        return merge(chunks.map { chunk in
            RetrievedSource(
                documentPath: chunk.documentPath, documentTitle: chunk.documentTitle, location: chunk.location,
                text: chunk.text, similarity: similarity(query, chunk.id), chunkIDs: [chunk.id])
        }, ordinals: Dictionary(uniqueKeysWithValues: chunks.map { ($0.id, $0.ordinal) }))
    }

    private func similarity(_ query: [Float], _ id: Int64) -> Float {
        guard let row = rowOf[id] else { return 0 }
        let d = index.snapshot.dimensions
        return index.snapshot.values.withUnsafeBufferPointer { values in
            query.withUnsafeBufferPointer { VectorIndex.dot($0.baseAddress!, values.baseAddress! + row * d, d) }
        }
    }

    /// Merges sources that are consecutive chunks of one document into the better-ranked one.
    private func merge(_ sources: [RetrievedSource], ordinals: [Int64: Int]) -> [RetrievedSource] {
        var result: [RetrievedSource] = []
        for source in sources {
            let ordinal = ordinals[source.chunkIDs[0]]!
            if let index = result.firstIndex(where: { other in
                other.documentPath == source.documentPath
                    && other.chunkIDs.contains { abs(ordinals[$0]! - ordinal) == 1 }
            }) {
                var merged = result[index]
                let before = merged.chunkIDs.map { ordinals[$0]! }.min()! > ordinal
                merged.text = before ? Self.join(source.text, merged.text) : Self.join(merged.text, source.text)
                merged.chunkIDs.append(source.chunkIDs[0])
                merged.similarity = max(merged.similarity, source.similarity)
                if before { merged.location = source.location }
                result[index] = merged
            } else {
                result.append(source)
            }
        }
        return result
    }

    /// Joins consecutive chunks, dropping the overlap the second repeats from the first.
    static func join(_ first: String, _ second: String) -> String {
        let limit = min(first.count, second.count)
        for length in stride(from: limit, through: 20, by: -1) where first.hasSuffix(second.prefix(length)) {
            return first + second.dropFirst(length)
        }
        return first + "\n" + second
    }
}
