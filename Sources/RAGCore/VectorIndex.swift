import CVectorMath

/// Exact dense search over normalised vectors held in memory: one dot product per chunk (the
/// widest SIMD kernel this CPU has, chosen at run time) and a bounded selection of the best k.
public struct VectorIndex: Sendable {
    public let snapshot: VectorSnapshot

    public init(_ snapshot: VectorSnapshot) {
        self.snapshot = snapshot
    }

    public var count: Int { snapshot.ids.count }

    /// The `k` chunks most similar to `query` (cosine, as vectors are unit length), best first.
    public func search(_ query: [Float], k: Int) -> [(id: Int64, similarity: Float)] {
        let d = snapshot.dimensions
        guard k > 0, count > 0, query.count == d else { return [] }
        var best: [(index: Int, similarity: Float)] = []
        best.reserveCapacity(k + 1)
        func consider(_ row: Int, _ similarity: Float) {
            if best.count < k {
                best.append((row, similarity))
                if best.count == k { best.sort { $0.similarity > $1.similarity } }
            } else if similarity > best[k - 1].similarity {
                var position = k - 1
                while position > 0, best[position - 1].similarity < similarity { position -= 1 }
                best.insert((row, similarity), at: position)
                best.removeLast()
            }
        }
        // Rows a block at a time: their similarities stay in the first-level cache for the selection.
        var similarities = [Float](repeating: 0, count: Swift.min(Self.rowsPerBlock, count))
        snapshot.values.withUnsafeBufferPointer { values in
            query.withUnsafeBufferPointer { q in
                similarities.withUnsafeMutableBufferPointer { block in
                    var start = 0
                    while start < count {
                        let rows = Swift.min(Self.rowsPerBlock, count - start)
                        guiche_dot_rows(q.baseAddress!, values.baseAddress! + start * d, rows, d, block.baseAddress!)
                        for offset in 0..<rows { consider(start + offset, block[offset]) }
                        start += rows
                    }
                }
            }
        }
        if best.count < k { best.sort { $0.similarity > $1.similarity } }
        return best.map { (snapshot.ids[$0.index], $0.similarity) }
    }

    static let rowsPerBlock = 512

    /// The dot product of two `n`-float vectors, with the kernel `search` uses (AVX-512F, AVX2 +
    /// FMA or portable C, as this CPU allows: `CVectorMath`), so that a chunk's similarity is the
    /// same however it is computed.
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var result: Float = 0
        guiche_dot_rows(a, b, 1, n, &result)
        return result
    }
}
