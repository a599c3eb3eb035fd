import Foundation
import LlamaRuntime
import Logging
@testable import RAGCore
import Synchronization
import TestSupport

/// The real e5 embedder, shared.
enum RAGModels {
    static let embedding: LocalEmbedding = {
        do {
            return try LocalEmbedding(embedder: Embedder(model: TestModels.e5, configuration: .init(threads: 2), sparseHead: TestModels.sparseHead))
        } catch { fatalError("\(error)") }
    }()
}

/// The real embedding model, counting the texts it embeds; optionally failing after `failAfter`
/// calls (a crash in the middle of an ingest).
final class CountingEmbedding: TextEmbedding {
    let inner: any TextEmbedding
    let failAfter: Int?
    private let counts = Mutex<(calls: Int, texts: Int)>((0, 0))

    init(_ inner: any TextEmbedding = RAGModels.embedding, failAfter: Int? = nil) {
        self.inner = inner
        self.failAfter = failAfter
    }

    var texts: Int { counts.withLock { $0.texts } }
    var fingerprint: EmbeddingModelFingerprint { inner.fingerprint }
    var maxInputTokens: Int { inner.maxInputTokens }
    func documentTokenCount(_ text: String) throws -> Int { try inner.documentTokenCount(text) }

    struct Crash: Error {}

    func vectors(_ texts: [String], kind: EmbeddingInputKind, sparseCount: Int) async throws -> [TextVectors] {
        try count(texts, kind: kind)
        return try await inner.vectors(texts, kind: kind, sparseCount: sparseCount)
    }

    private func count(_ texts: [String], kind: EmbeddingInputKind) throws {
        let calls = counts.withLock { counts -> Int in
            counts.calls += 1
            if kind == .document { counts.texts += texts.count }
            return counts.calls
        }
        if let failAfter, calls > failAfter { throw Crash() }
    }
}

/// A copy of the repository's sample data in a fresh folder.
struct SampleData {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guiche-data-\(UUID())")

    init() throws {
        try FileManager.default.copyItem(at: TestModels.root.appendingPathComponent("data"), to: folder)
    }

    func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
}

func makeIndexer(_ data: SampleData, store: any IndexStore, embedding: any TextEmbedding = RAGModels.embedding) -> Indexer {
    Indexer(dataDirectory: data.folder, store: store, embedding: embedding, chunkSize: 200, chunkOverlap: 30, batchSize: 16,
            logger: Logger(label: "test"))
}
