import Foundation
import LlamaRuntime
import RAGCore
import Synchronization

/// An embedding model that also writes every document text it embeds to a file, one JSON string
/// per line, as given to the model (its prefix left out): `guiche ingest --embedded-texts`, so that
/// a benchmark can send the very same texts to another engine.
final class RecordingEmbedding: TextEmbedding {
    let inner: any TextEmbedding
    private let file: Mutex<FileHandle>

    init(_ inner: any TextEmbedding, writingTo path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        self.inner = inner
        file = Mutex(handle)
    }

    var fingerprint: EmbeddingModelFingerprint { inner.fingerprint }
    var maxInputTokens: Int { inner.maxInputTokens }
    func documentTokenCount(_ text: String) throws -> Int { try inner.documentTokenCount(text) }

    func vectors(_ texts: [String], kind: EmbeddingInputKind, sparseCount: Int) async throws -> [TextVectors] {
        try record(texts, kind: kind)
        return try await inner.vectors(texts, kind: kind, sparseCount: sparseCount)
    }

    private func record(_ texts: [String], kind: EmbeddingInputKind) throws {
        if kind == .document {
            var lines = Data()
            for text in texts {
                lines.append(try JSONEncoder().encode(text))
                lines.append(0x0A)
            }
            try file.withLock { try $0.write(contentsOf: lines) }
        }
    }
}
