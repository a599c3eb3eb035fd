import CVectorMath
import LlamaRuntime
@testable import RAGCore
import Testing

@Suite("Sparse vectors: the encoder's kernels, their storage form and sparse search")
struct SparseIndexTests {
    /// The sparse encoder computed plainly in double precision: every token's activations, its
    /// `perToken` largest positive ones, max-pooled.
    static func reference(panels: [Float], bias: [Float], features: Int, dimensions: Int, tokens: [Float], perToken: Int) -> [Double] {
        let panel = Int(GUICHE_SPARSE_PANEL)
        var pooled = [Double](repeating: 0, count: features)
        for t in 0..<(tokens.count / dimensions) {
            let activations = (0..<features).map { j in
                (0..<dimensions).reduce(Double(bias[j])) { sum, k in
                    sum + Double(tokens[t * dimensions + k]) * Double(panels[(j / panel) * dimensions * panel + k * panel + j % panel])
                }
            }
            let kept = activations.indices.filter { activations[$0] > 0 }.sorted { activations[$0] > activations[$1] }.prefix(perToken)
            for j in kept { pooled[j] = max(pooled[j], activations[j]) }
        }
        return pooled
    }

    @Test("every encoder kernel this CPU runs gives the double-precision reference's features", arguments: [1, 5, 64, 70])
    func kernels(tokenCount: Int) {
        let features = 96, dimensions = 40, perToken = 7
        let panels = VectorIndexTests.floats(features * dimensions, seed: 3)
        let bias = VectorIndexTests.floats(features, seed: 5).map { $0 * 0.5 }
        let tokens = VectorIndexTests.floats(tokenCount * dimensions, seed: UInt64(tokenCount))
        let reference = Self.reference(panels: panels, bias: bias, features: features, dimensions: dimensions, tokens: tokens, perToken: perToken)
        var ran: [Int32] = []
        for kernel in [GUICHE_KERNEL_PORTABLE, GUICHE_KERNEL_AVX512].map({ Int32($0.rawValue) }) {
            var pooled = [Float](repeating: .nan, count: features)
            guard guiche_sparse_encode_with(kernel, panels, bias, features, dimensions, tokens, tokenCount, perToken, &pooled) == 1 else { continue }
            ran.append(kernel)
            #expect(pooled.indices.filter { pooled[$0] > 0 } == reference.indices.filter { reference[$0] > 0 }, "kernel \(kernel): the same features")
            for j in 0..<features { #expect(abs(Double(pooled[j]) - reference[j]) <= 1e-4, "kernel \(kernel), feature \(j)") }
        }
        #expect(ran.contains(Int32(GUICHE_KERNEL_PORTABLE.rawValue)))
        var pooled = [Float](repeating: 0, count: 90)
        #expect(guiche_sparse_encode(panels, bias, 90, dimensions, tokens, tokenCount, perToken, &pooled) == 0, "features not a multiple of the panel")
    }

    @Test("a sparse vector survives its stored form; anything else is not read as one")
    func storedForm() {
        let vector = SparseVector(indices: [0, 17, 16_383], values: [1.5, -0.0, 3e-8])
        #expect(SparseVector(bytes: vector.bytes) == vector)
        #expect(SparseVector(bytes: SparseVector.empty.bytes) == .empty)
        #expect(SparseVector(bytes: vector.bytes.dropLast()) == nil, "truncated")
        #expect(SparseVector(bytes: [UInt8]()) == nil)
        #expect(SparseVector(bytes: SparseVector(indices: [5, 2], values: [1, 1]).bytes) == nil, "indices out of order")
    }

    @Test("sparse search returns the chunks with the largest dot products, best first, as sorting every one would")
    func searchMatchesSort() {
        var vectors: [Int64: SparseVector] = [:]
        let weights = VectorIndexTests.floats(600 * 12, seed: 11)
        for row in 0..<600 {
            var features = Set<Int32>()
            for offset in 0..<12 { features.insert(Int32(abs(Int(weights[row * 12 + offset] * 1000)) % 200)) }
            let indices = features.sorted()
            let values: [Float] = indices.map { Float($0 % 7) * 0.1 + 0.05 }
            vectors[Int64(row * 2)] = SparseVector(indices: indices, values: values)
        }
        let index = SparseIndex(vectors)
        let query = SparseVector(indices: [3, 50, 51, 199], values: [1, 0.5, 2, 0.25])
        let scored: [(id: Int64, score: Float)] = vectors.map { ($0.key, $0.value.dot(query)) }
        let all = scored.filter { $0.score > 0 }.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        for k in [1, 10, 40, 1_000] {
            let found = index.search(query, k: k)
            #expect(found.map(\.id) == all.prefix(k).map(\.id), "k = \(k)")
            for (hit, expected) in zip(found, all) { #expect(abs(hit.score - expected.score) <= 1e-5) }
        }
        #expect(index.search(.empty, k: 5).isEmpty)
        #expect(SparseIndex([:]).search(query, k: 5).isEmpty)
    }
}
