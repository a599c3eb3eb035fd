/// A sparse vector: the features that are not zero, with their weights (features ascending).
public struct SparseVector: Sendable, Equatable, Codable {
    public var indices: [Int32]
    public var values: [Float]

    public init(indices: [Int32], values: [Float]) {
        precondition(indices.count == values.count, "a sparse vector needs one value per index")
        self.indices = indices
        self.values = values
    }

    public static let empty = SparseVector(indices: [], values: [])

    public var isEmpty: Bool { indices.isEmpty }

    /// The dot product with `other` (both with ascending indices).
    public func dot(_ other: SparseVector) -> Float {
        var i = 0, j = 0
        var sum: Float = 0
        while i < indices.count, j < other.indices.count {
            if indices[i] == other.indices[j] {
                sum += values[i] * other.values[j]
                i += 1
                j += 1
            } else if indices[i] < other.indices[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return sum
    }

    /// Little-endian bytes: the count, the indices (int32), then the values (float32) — how the
    /// index stores keep it.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + 8 * indices.count)
        withUnsafeBytes(of: UInt32(indices.count).littleEndian) { bytes.append(contentsOf: $0) }
        for index in indices { withUnsafeBytes(of: index.littleEndian) { bytes.append(contentsOf: $0) } }
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// The vector `bytes` wrote; nil for anything else.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        let bytes = Array(bytes)
        func word(at offset: Int) -> UInt32 {
            UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        }
        guard bytes.count >= 4 else { return nil }
        let count = Int(word(at: 0))
        guard bytes.count == 4 + 8 * count else { return nil }
        let indices = (0..<count).map { Int32(bitPattern: word(at: 4 + 4 * $0)) }
        let values = (0..<count).map { Float(bitPattern: word(at: 4 + 4 * count + 4 * $0)) }
        guard zip(indices, indices.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
        self.init(indices: indices, values: values)
    }
}

/// A text's vectors: the dense one and, when the model has a sparse head, the sparse one.
public struct TextVectors: Sendable, Equatable {
    public var dense: [Float]
    public var sparse: SparseVector?

    public init(dense: [Float], sparse: SparseVector? = nil) {
        self.dense = dense
        self.sparse = sparse
    }
}
