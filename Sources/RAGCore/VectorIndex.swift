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
        // Four independent accumulators keep the adds from waiting on each other.
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        let stride = MemoryLayout<Float>.stride
        var i = 0
        while i + 32 <= n {
            s0 += ra.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: (i + 8) * stride, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: (i + 8) * stride, as: SIMD8<Float>.self)
            s2 += ra.loadUnaligned(fromByteOffset: (i + 16) * stride, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: (i + 16) * stride, as: SIMD8<Float>.self)
            s3 += ra.loadUnaligned(fromByteOffset: (i + 24) * stride, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: (i + 24) * stride, as: SIMD8<Float>.self)
            i += 32
        }
        while i + 8 <= n {
            s0 += ra.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
            i += 8
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while i < n {
            total += a[i] * b[i]
            i += 1
        }
        return total
    }
}
