/// Exact dense search over normalised vectors held in memory: one dot product per chunk, eight
/// lanes at a time, and a bounded selection of the best k.
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
        snapshot.values.withUnsafeBufferPointer { values in
            query.withUnsafeBufferPointer { q in
                for row in 0..<count {
                    let similarity = Self.dot(q.baseAddress!, values.baseAddress! + row * d, d)
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
            }
        }
        if best.count < k { best.sort { $0.similarity > $1.similarity } }
        return best.map { (snapshot.ids[$0.index], $0.similarity) }
    }

    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var sum = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            sum += x * y
            i += 8
        }
        var total = sum.sum()
        while i < n {
            total += a[i] * b[i]
            i += 1
        }
        return total
    }
}
