import Foundation
import LlamaRuntime

/// Identifies the embedding model an index was built with: a change means every chunk must be
/// embedded again.
public struct EmbeddingModelFingerprint: Sendable, Equatable, Codable, CustomStringConvertible {
    public var name: String
    public var dimensions: Int
    /// A digest of the model file (or what the remote service reports).
    public var fileDigest: String

    public init(name: String, dimensions: Int, fileDigest: String) {
        self.name = name
        self.dimensions = dimensions
        self.fileDigest = fileDigest
    }

    public var description: String { "\(name) (\(dimensions) dims, \(fileDigest.prefix(12)))" }
}

/// What the RAG core needs from an embedding model, in-process or behind the embedding service.
public protocol TextEmbedding: Sendable {
    var fingerprint: EmbeddingModelFingerprint { get }
    /// Most tokens one text may have (special tokens and prefix included).
    var maxInputTokens: Int { get }
    /// Tokens `text` takes as a document, prefix included.
    func documentTokenCount(_ text: String) throws -> Int
    /// Unit-length vectors, one per text, with the model's prefix for `kind`, and — when the model
    /// has a sparse head — the sparse vectors of the first `sparseCount` texts (the others' encoding
    /// is not paid for).
    func vectors(_ texts: [String], kind: EmbeddingInputKind, sparseCount: Int) async throws -> [TextVectors]
}

extension TextEmbedding {
    /// Unit-length vectors, one per text, with the model's prefix for `kind`; no sparse vectors.
    public func embed(_ texts: [String], kind: EmbeddingInputKind) async throws -> [[Float]] {
        try await vectors(texts, kind: kind, sparseCount: 0).map(\.dense)
    }

    /// The same vectors and every text's sparse vector when the model has a sparse head.
    public func vectors(_ texts: [String], kind: EmbeddingInputKind) async throws -> [TextVectors] {
        try await vectors(texts, kind: kind, sparseCount: texts.count)
    }
}

/// The embedding model in this process.
public struct LocalEmbedding: TextEmbedding {
    public let embedder: Embedder
    public let prefixes: EmbeddingPrefixes
    public let fingerprint: EmbeddingModelFingerprint

    public init(embedder: Embedder, prefixes: EmbeddingPrefixes? = nil) {
        self.embedder = embedder
        self.prefixes = prefixes ?? EmbeddingPrefixes(model: embedder.model)
        self.fingerprint = EmbeddingModelFingerprint(
            name: embedder.model.name, dimensions: embedder.dimensions, fileDigest: embedder.fingerprint)
    }

    public var maxInputTokens: Int { embedder.maxInputTokens }

    public func documentTokenCount(_ text: String) throws -> Int {
        try embedder.tokenCount(prefixes.document + text)
    }

    public func vectors(_ texts: [String], kind: EmbeddingInputKind, sparseCount: Int) async throws -> [TextVectors] {
        try await embedder.vectors(prepared: embedder.prepare(texts, prefix: prefixes.prefix(for: kind), sparseCount: sparseCount))
    }
}
