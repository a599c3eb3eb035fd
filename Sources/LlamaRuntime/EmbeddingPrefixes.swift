/// What a text is to an embedding model trained with different prefixes for queries and documents.
public enum EmbeddingInputKind: String, Sendable, Codable {
    case query, document
}

/// Prefixes some embedding models expect (e5: `query: ` and `passage: `); empty for the others.
public struct EmbeddingPrefixes: Sendable, Equatable {
    public var query: String
    public var document: String

    public init(query: String = "", document: String = "") {
        self.query = query
        self.document = document
    }

    /// The prefixes recorded in the model's GGUF (none for models that need none).
    public init(model: LlamaModel) {
        let prefixes = model.embeddingPrefixes
        self.init(query: prefixes.query, document: prefixes.document)
    }

    /// The prefix for `kind`.
    public func prefix(for kind: EmbeddingInputKind) -> String {
        kind == .query ? query : document
    }

}
