// `retrieval-bench hybrid MODEL.gguf DATA_DIR QUESTIONS.jsonl UNITS`: the whole question-to-sources
// path of the chatbot on a collection of about UNITS chunks — embedding the question with the real
// model (and its sparse head when one lies beside it, as `guiche` finds it), dense search, BM25 over
// stems with the vocabulary, sparse search, fusion, reading and merging chunks.
// The collection is DATA_DIR's real chunks and vectors, copied (vectors slightly perturbed, each
// copy its own document) up to UNITS. Prints a Markdown table.
import DocumentIngestion
import Foundation
import LlamaRuntime
import Logging
import RAGCore

enum HybridBench {
    static func run(_ arguments: [String]) async throws {
        guard arguments.count == 4, let units = Int(arguments[3]) else {
            FileHandle.standardError.write(Data("usage: retrieval-bench hybrid MODEL.gguf DATA_DIR QUESTIONS.jsonl UNITS\n".utf8))
            exit(2)
        }
        let embedding = LocalEmbedding(embedder: try Embedder(
            model: try LlamaModel(path: arguments[0]), configuration: .init(threads: 2), sparseHead: try SparseHead.beside(modelAt: arguments[0])))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-bench-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        // The real chunks and vectors of the data folder.
        let source = try SQLiteIndexStore(path: folder.appendingPathComponent("source.sqlite").path)
        let indexer = Indexer(
            dataDirectory: URL(fileURLWithPath: arguments[1]), store: source, embedding: embedding, chunkSize: 300, chunkOverlap: 50,
            batchSize: 32, logger: Logger(label: "bench"))
        _ = try await indexer.sync()
        let snapshot = try await source.vectors()
        let chunks = try await source.chunks(ids: snapshot.ids)
        let titles = Dictionary(try await source.documents().map { ($0.path, $0.title) }, uniquingKeysWith: { first, _ in first })

        // Copies up to `units` chunks.
        let store = try SQLiteIndexStore(path: folder.appendingPathComponent("bench.sqlite").path)
        try await store.reset(for: embedding.fingerprint, chunking: "bench")
        var generator = SystemRandomNumberGenerator()
        let d = snapshot.dimensions
        var stored = 0
        var copy = 0
        while stored < units {
            var byDocument: [String: [NewChunk]] = [:]
            for (row, chunk) in chunks.enumerated() where stored < units {
                var vector = Array(snapshot.values[row * d..<(row + 1) * d])
                if copy > 0 {
                    for i in vector.indices { vector[i] += Float.random(in: -0.01...0.01, using: &generator) }
                    let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    vector = vector.map { $0 / norm }
                }
                let title = (titles[chunk.documentPath] ?? chunk.documentPath) + (copy > 0 ? " (cópia \(copy))" : "")
                let piece = Chunk(ordinal: chunk.ordinal, text: chunk.text, structure: [chunk.location], tokens: chunk.tokens, context: chunk.context)
                byDocument["copia-\(copy)/\(chunk.documentPath)", default: []].append(
                    NewChunk(chunk: piece, vector: vector, sparse: snapshot.sparse[chunk.id], documentTitle: title))
                stored += 1
            }
            for (path, news) in byDocument {
                try await store.replace(
                    StoredDocument(path: path, contentHash: path, format: "html", title: path, chunkCount: news.count, indexedAt: Date()),
                    chunks: news)
            }
            copy += 1
        }
        let retriever = Retriever(store: store, embedding: embedding, vocabulary: try Vocabulary.builtIn())
        try await retriever.reload()

        let questions = try String(contentsOfFile: arguments[2], encoding: .utf8).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["pergunta"] as? String
        }
        _ = try await retriever.retrieve(questions[0], topK: 5)  // warm up
        var totals: [Double] = []
        var embeddings: [Double] = []
        for question in questions {
            let start = ContinuousClock.now
            let retrieval = try await retriever.retrieval(question, topK: 5)
            totals.append((ContinuousClock.now - start).inMilliseconds)
            embeddings.append(retrieval.embeddingTime.inMilliseconds)
        }
        let rest = zip(totals, embeddings).map { $0 - $1 }
        func p(_ values: [Double], _ q: Double) -> String {
            let sorted = values.sorted()
            return String(format: "%.1f", sorted[min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1)])
        }
        print("| chunks | questions | p50 ms | p95 ms | question embedding p50 ms | search, fusion, reading p50 ms | p50 / 50 ms budget |")
        print("|---|---|---|---|---|---|---|")
        let ratio = (Double(p(totals, 0.5)) ?? 0) / 50
        print("| \(try await store.chunkCount()) | \(questions.count) | \(p(totals, 0.5)) | \(p(totals, 0.95)) | \(p(embeddings, 0.5)) | \(p(rest, 0.5)) | \(String(format: "%.2f", ratio)) |")
    }
}
