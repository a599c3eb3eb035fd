// Guichê's side of bench/retrieval.py: stores N vectors in the collection store (SQLite, as
// `guiche ingest` does: one transaction per document of 100 chunks, with text for the keyword
// index), loads them back into the in-memory exact index, and times one search per query.
//
// Usage: retrieval-bench VECTORS.f32 QUERIES.f32 DIMENSIONS K OUT.json
// (and `retrieval-bench hybrid …`, the whole question-to-sources path: see HybridBench.swift)
// The .f32 files are row-major little-endian float32. OUT.json: store_s, load_s, latencies_ms
// (one per query) and, per query, the rows (0-based, in VECTORS order) of the k best.
import DocumentIngestion
import Foundation
import RAGCore

func readFloats(_ path: String) throws -> [Float] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

struct Output: Encodable {
    var vectors: Int
    var store_s: Double
    var load_s: Double
    var latencies_ms: [Double]
    var results: [[Int]]
}

if CommandLine.arguments.dropFirst().first == "hybrid" {
    try await HybridBench.run(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}
let arguments = CommandLine.arguments
guard arguments.count == 6, let dimensions = Int(arguments[3]), let k = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: retrieval-bench VECTORS.f32 QUERIES.f32 DIMENSIONS K OUT.json\n".utf8))
    exit(2)
}
let vectors = try readFloats(arguments[1])
let queries = try readFloats(arguments[2])
let count = vectors.count / dimensions
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("retrieval-bench-\(UUID())")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }

let clock = ContinuousClock()
let store = try SQLiteIndexStore(path: folder.appendingPathComponent("bench.sqlite").path)
try await store.reset(for: EmbeddingModelFingerprint(name: "bench", dimensions: dimensions, fileDigest: "bench"), chunking: "bench")
let perDocument = 100
let storeTime = try await clock.measure {
    for first in stride(from: 0, to: count, by: perDocument) {
        let rows = first..<min(count, first + perDocument)
        let chunks = rows.map { row in
            NewChunk(
                chunk: Chunk(ordinal: row - first, text: "Art. \(row). Trecho sintético número \(row) do documento de teste.", tokens: 16),
                vector: Array(vectors[row * dimensions..<(row + 1) * dimensions]), documentTitle: "Documento \(first / perDocument)")
        }
        let document = StoredDocument(
            path: "documento-\(first / perDocument).txt", contentHash: "\(first)", format: "txt", title: "Documento \(first / perDocument)",
            chunkCount: chunks.count, indexedAt: Date())
        try await store.replace(document, chunks: chunks)
    }
}

var index: VectorIndex?
let loadTime = try await clock.measure {
    index = VectorIndex(try await store.vectors())
}
guard let index else { exit(1) }
// Chunk ids grow in insertion order: rank among ids = row in VECTORS.
let rowOf = Dictionary(uniqueKeysWithValues: index.snapshot.ids.sorted().enumerated().map { ($1, $0) })

let queryCount = queries.count / dimensions
for q in 0..<min(3, queryCount) { _ = index.search(Array(queries[q * dimensions..<(q + 1) * dimensions]), k: k) }  // warm up
var latencies: [Double] = []
var results: [[Int]] = []
for q in 0..<queryCount {
    let query = Array(queries[q * dimensions..<(q + 1) * dimensions])
    let started = clock.now
    let best = index.search(query, k: k)
    latencies.append(seconds(clock.now - started) * 1000)
    results.append(best.map { rowOf[$0.id]! })
}
let output = Output(vectors: count, store_s: seconds(storeTime), load_s: seconds(loadTime), latencies_ms: latencies, results: results)
try JSONEncoder().encode(output).write(to: URL(fileURLWithPath: arguments[5]))
