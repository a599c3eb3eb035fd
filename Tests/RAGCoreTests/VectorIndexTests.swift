import CVectorMath
@testable import RAGCore
import Testing

@Suite("Exact dense search")
struct VectorIndexTests {
    /// Seeded pseudo-random floats in -1…1 (a linear congruential generator: the same on every machine).
    static func floats(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
    }

    @Test("every kernel this CPU runs gives the dot products of a double-precision reference", arguments: [1, 7, 16, 31, 33, 384, 385, 1024])
    func kernels(dimensions: Int) {
        let rows = 37
        let query = Self.floats(dimensions, seed: 1)
        let values = Self.floats(rows * dimensions, seed: UInt64(dimensions))
        let reference = (0..<rows).map { row in
            (0..<dimensions).reduce(0.0) { $0 + Double(query[$1]) * Double(values[row * dimensions + $1]) }
        }
        var ran: [Int32] = []
        for kernel in [GUICHE_KERNEL_PORTABLE, GUICHE_KERNEL_AVX2_FMA, GUICHE_KERNEL_AVX512].map({ Int32($0.rawValue) }) {
            var out = [Float](repeating: .nan, count: rows)
            guard guiche_dot_rows_with(kernel, query, values, rows, dimensions, &out) == 1 else { continue }
            ran.append(kernel)
            for row in 0..<rows {
                #expect(abs(Double(out[row]) - reference[row]) <= 1e-5 * Double(dimensions), "kernel \(kernel), row \(row)")
            }
        }
        #expect(ran.contains(guiche_best_kernel()))
        print("dot-product kernels run here: \(ran); chosen: \(guiche_best_kernel())")
    }

    @Test("search returns the k most similar rows, best first, as sorting every similarity would")
    func searchMatchesSort() {
        let dimensions = 384, rows = 1_300  // more than two blocks
        let snapshot = VectorSnapshot(ids: (0..<rows).map { Int64($0 * 3) }, dimensions: dimensions, values: Self.floats(rows * dimensions, seed: 9))
        let index = VectorIndex(snapshot)
        let query = Self.floats(dimensions, seed: 4)
        let all = (0..<rows).map { row in
            (id: Int64(row * 3), similarity: query.withUnsafeBufferPointer { q in
                snapshot.values.withUnsafeBufferPointer { VectorIndex.dot(q.baseAddress!, $0.baseAddress! + row * dimensions, dimensions) }
            })
        }.sorted { $0.similarity > $1.similarity }
        for k in [1, 10, 40, rows + 5] {
            let found = index.search(query, k: k)
            #expect(found.map(\.id) == all.prefix(k).map(\.id), "k = \(k)")
            #expect(found.map(\.similarity) == all.prefix(k).map(\.similarity))
        }
        #expect(index.search(query, k: 0).isEmpty)
        #expect(index.search([1, 2], k: 3).isEmpty, "a query of another dimension finds nothing")
    }
}
