import LlamaRuntime

/// Exact search over the chunks' sparse vectors, held in memory as posting lists (feature → chunks
/// with their weights): a question's features visit only the chunks that share them.
public struct SparseIndex: Sendable {
    private let ids: [Int64]
    private let postings: [Int32: [(row: Int32, weight: Float)]]

    public init(_ vectors: [Int64: SparseVector]) {
        let ids = vectors.keys.sorted()
        var postings: [Int32: [(row: Int32, weight: Float)]] = [:]
        for (row, id) in ids.enumerated() {
            let vector = vectors[id]!
            for (feature, weight) in zip(vector.indices, vector.values) { postings[feature, default: []].append((Int32(row), weight)) }
        }
        self.ids = ids
        self.postings = postings
    }

    public var count: Int { ids.count }

    /// The `k` chunks with the largest dot product with `query` (over zero), best first; ties by id.
    public func search(_ query: SparseVector, k: Int) -> [(id: Int64, score: Float)] {
        guard k > 0, !ids.isEmpty else { return [] }
        var scores = [Float](repeating: 0, count: ids.count)
        for (feature, weight) in zip(query.indices, query.values) {
            for posting in postings[feature] ?? [] { scores[Int(posting.row)] += weight * posting.weight }
        }
        return scores.indices.filter { scores[$0] > 0 }
            .sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
            .prefix(k).map { (ids[$0], scores[$0]) }
    }
}
