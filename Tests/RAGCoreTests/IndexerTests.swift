import DocumentIngestion
import Foundation
import Logging
import LlamaRuntime
@testable import RAGCore
import Testing
import TestSupport

@Suite("Folder sync into the SQLite index")
struct IndexerTests {
    static let sampleFiles = [
        "atendimento-chat.json", "codigo-transito-trechos.txt", "regras-autoescola.html", "renovacao-cnh.md",
        "resolucao-contran-789-resumo.pdf", "taxas-detran.csv",
    ]

    @Test("the sample set is indexed; a second sync adds nothing and embeds nothing")
    func idempotent() async throws {
        let data = try SampleData()
        let store = try SQLiteIndexStore(path: nil)
        let embedding = CountingEmbedding()
        let indexer = makeIndexer(data, store: store, embedding: embedding)
        let first = try await indexer.sync()
        #expect(first.added.sorted() == Self.sampleFiles)
        #expect(first.failed.isEmpty)
        let chunks = try await store.chunkCount()
        #expect(chunks == first.chunksEmbedded)
        #expect(embedding.texts == chunks)
        let second = try await indexer.sync()
        #expect(second.unchanged.sorted() == Self.sampleFiles)
        #expect(second.added.isEmpty && second.updated.isEmpty && second.removed.isEmpty)
        #expect(embedding.texts == chunks, "an unchanged folder must cost no embedding")
        #expect(try await store.chunkCount() == chunks)
    }

    @Test("ingests asked for at once run once: every caller gets that run's report; other options get a conflict")
    func concurrentIngests() async throws {
        let data = try SampleData()
        let store = try SQLiteIndexStore(path: nil)
        let embedding = CountingEmbedding()
        let knowledge = KnowledgeBase(
            store: store, embedding: embedding, generation: GroundedAnswerTests.ScriptedGeneration(""),
            indexer: makeIndexer(data, store: store, embedding: embedding),
            settings: .init())
        let first = Task { try await knowledge.ingest() }
        while embedding.texts == 0 { try await Task.sleep(for: .milliseconds(5)) }  // the first sync is embedding
        async let second = knowledge.ingest()
        async let third = knowledge.ingest()
        await #expect(throws: IngestInProgress.self) { try await knowledge.ingest(allowMassRemoval: true) }
        let reports = try await [first.value, second, third]
        // One sync: each report says the documents were added (a second sync would find them unchanged).
        for report in reports {
            #expect(report.added.sorted() == Self.sampleFiles)
            #expect(report.chunksEmbedded == reports[0].chunksEmbedded)
        }
        #expect(try await store.chunkCount() == reports[0].chunksEmbedded)
        // Once it ended, the next ingest is a new one.
        let after = try await knowledge.ingest()
        #expect(after.unchanged.sorted() == Self.sampleFiles)
    }

    @Test("files of unsupported types are reported as skipped, with the reason, and nothing else changes")
    func skippedReported() async throws {
        let data = try SampleData()
        try Data("x".utf8).write(to: data.url("planilha.xlsx"))
        try FileManager.default.createDirectory(at: data.url("anexos"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: data.url("anexos/LEIAME"))
        let report = try await makeIndexer(data, store: try SQLiteIndexStore(path: nil)).sync()
        #expect(report.added.sorted() == Self.sampleFiles)
        #expect(report.skipped.map(\.path) == ["anexos/LEIAME", "planilha.xlsx"])
        #expect(report.skipped.map(\.reason) == ["unsupported file type (no extension)", "unsupported file type (.xlsx)"])
    }

    @Test("an emptied, missing or mistyped data folder does not wipe the index; forcing removes for real")
    func noAccidentalWipe() async throws {
        let data = try SampleData()
        let store = try SQLiteIndexStore(path: nil)
        _ = try await makeIndexer(data, store: store).sync()
        let chunks = try await store.chunkCount()
        for name in Self.sampleFiles.dropFirst() { try FileManager.default.removeItem(at: data.url(name)) }  // 5 of 6 gone
        await #expect(throws: IngestRefusal.massRemoval(removing: 5, of: 6, allowedShare: 0.5)) {
            try await makeIndexer(data, store: store).sync()
        }
        #expect(try await store.chunkCount() == chunks)
        let missing = Indexer(dataDirectory: data.url("nao-existe"), store: store, embedding: RAGModels.embedding, chunkSize: 200,
                              chunkOverlap: 30, batchSize: 16, logger: Logger(label: "test"))
        await #expect(throws: IngestRefusal.self) { try await missing.sync() }
        let file = Indexer(dataDirectory: data.url(Self.sampleFiles[0]), store: store, embedding: RAGModels.embedding, chunkSize: 200,
                           chunkOverlap: 30, batchSize: 16, logger: Logger(label: "test"))
        await #expect(throws: IngestRefusal.notAFolder(data.url(Self.sampleFiles[0]).standardizedFileURL.path)) { try await file.sync() }
        #expect(try await store.documents().count == 6)
        let forced = try await makeIndexer(data, store: store).sync(allowMassRemoval: true)
        #expect(forced.removed.count == 5)
        #expect(try await store.documents().map(\.path) == [Self.sampleFiles[0]])
    }

    @Test("one document indexed alone (guiche ingest FILE): added or updated, every other left as it is")
    func singleDocument() async throws {
        let data = try SampleData()
        let store = try SQLiteIndexStore(path: nil)
        let embedding = CountingEmbedding()
        let indexer = makeIndexer(data, store: store, embedding: embedding)
        // Not before the folder was indexed with this model and chunking.
        await #expect(throws: IngestRefusal.needsFullSync) { try await indexer.syncDocument(at: data.url(Self.sampleFiles[0])) }
        _ = try await indexer.sync()
        let before = embedding.texts
        // A deleted file stays indexed, an edited one and a new one are indexed one at a time.
        try FileManager.default.removeItem(at: data.url(Self.sampleFiles[1]))
        let edited = data.url("renovacao-cnh.md")
        try (try String(contentsOf: edited, encoding: .utf8) + "\nParágrafo acrescentado para o teste.\n").write(to: edited, atomically: true, encoding: .utf8)
        let updated = try await indexer.syncDocument(at: edited)
        #expect(updated.updated == ["renovacao-cnh.md"], "\(updated)")
        #expect(updated.added.isEmpty && updated.removed.isEmpty && updated.unchanged.isEmpty)
        #expect(embedding.texts - before == updated.chunksEmbedded && updated.chunksEmbedded > 0, "only its chunks embedded")
        try "# Nova portaria\n\nArt. 1º Os exames são agendados pela internet.\n".write(to: data.url("nova-portaria.md"), atomically: true, encoding: .utf8)
        let added = try await indexer.syncDocument(at: data.url("nova-portaria.md"))
        #expect(added.added == ["nova-portaria.md"])
        #expect(try await store.documents().map(\.path).sorted() == (Self.sampleFiles + ["nova-portaria.md"]).sorted(), "the deleted file is still indexed")
        #expect(try await indexer.syncDocument(at: edited).unchanged == ["renovacao-cnh.md"])
        // A file outside the folder: refused, nothing changed.
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("fora-\(UUID()).md")
        try "# Fora".write(to: outside, atomically: true, encoding: .utf8)
        await #expect(throws: IngestRefusal.outsideFolder(file: outside.path, folder: data.folder.standardizedFileURL.path)) {
            try await indexer.syncDocument(at: outside)
        }
        #expect(try await store.documents().count == 7)
    }

    @Test("a changed document re-embeds only its changed units: the index equals a fresh one", arguments: StoreKind.allCases)
    func unchangedUnitsKeepTheirVectors(kind: StoreKind) async throws {
        let data = try SampleData()
        let store = try await kind.make()
        let embedding = CountingEmbedding()
        _ = try await makeIndexer(data, store: store, embedding: embedding).sync()
        let file = data.url("codigo-transito-trechos.txt")
        try (try String(contentsOf: file, encoding: .utf8) + "\nArt. 999. Artigo acrescentado ao fim para o teste.\n")
            .write(to: file, atomically: true, encoding: .utf8)
        let before = embedding.texts
        let report = try await makeIndexer(data, store: store, embedding: embedding).sync()
        let chunks = try await store.chunks(documentPath: "codigo-transito-trechos.txt")
        #expect(report.updated == ["codigo-transito-trechos.txt"])
        #expect(report.chunksEmbedded == embedding.texts - before)
        #expect(report.chunksEmbedded >= 1 && report.chunksEmbedded < chunks.count, "\(report.chunksEmbedded) of \(chunks.count) chunks embedded")

        // The same folder indexed from scratch: the same chunks with the same vectors.
        let fresh = try SQLiteIndexStore(path: nil)
        _ = try await makeIndexer(data, store: fresh).sync()
        let freshChunks = try await fresh.chunks(documentPath: "codigo-transito-trechos.txt")
        #expect(chunks.map(\.text) == freshChunks.map(\.text))
        let (vectors, freshVectors) = (try await store.vectors(ids: chunks.map(\.id)), try await fresh.vectors(ids: freshChunks.map(\.id)))
        // A text embedded in another batch differs in the last bits (the pass it shares changes the sums).
        for (chunk, freshChunk) in zip(chunks, freshChunks) {
            let (kept, fresh) = (vectors[chunk.id]!, freshVectors[freshChunk.id]!)
            #expect(cosine(kept.dense, fresh.dense) > 0.9999, "\(chunk.location)")
            let (keptSparse, freshSparse) = (try #require(kept.sparse), try #require(fresh.sparse))
            // Sparse vectors move more with the pass's composition (SparseHeadTests.batchInvariance).
            #expect(keptSparse.dot(freshSparse) / (keptSparse.dot(keptSparse) * freshSparse.dot(freshSparse)).squareRoot() > 0.97, "\(chunk.location)")
        }
    }

    @Test("editing one file re-embeds only its chunks; deleting one removes its chunks")
    func incremental() async throws {
        let data = try SampleData()
        let store = try SQLiteIndexStore(path: nil)
        let embedding = CountingEmbedding()
        let indexer = makeIndexer(data, store: store, embedding: embedding)
        _ = try await indexer.sync()
        let before = embedding.texts
        try "Serviço;Taxa (R$)\nRenovação da CNH;140,00\n".write(to: data.url("taxas-detran.csv"), atomically: true, encoding: .utf8)
        let edited = try await indexer.sync()
        #expect(edited.updated == ["taxas-detran.csv"])
        #expect(embedding.texts - before == edited.chunksEmbedded)
        #expect(edited.chunksEmbedded == (try await store.documents().first { $0.path == "taxas-detran.csv" }!.chunkCount))
        try FileManager.default.removeItem(at: data.url("renovacao-cnh.md"))
        let total = try await store.chunkCount()
        let removedChunks = try await store.documents().first { $0.path == "renovacao-cnh.md" }!.chunkCount
        let deleted = try await indexer.sync()
        #expect(deleted.removed == ["renovacao-cnh.md"])
        #expect(try await store.chunkCount() == total - removedChunks)
        #expect(try await store.keywordSearch(KeywordQuery("agende o atendimento renovação portal"), limit: 50).count <= total - removedChunks)
    }

    @Test("a corrupt PDF is reported with its reason and the rest is indexed")
    func corruptFile() async throws {
        let data = try SampleData()
        try Data("%PDF-1.4 this is not a pdf".utf8).write(to: data.url("quebrado.pdf"))
        let report = try await makeIndexer(data, store: try SQLiteIndexStore(path: nil)).sync()
        #expect(report.failed.map(\.path) == ["quebrado.pdf"])
        #expect(report.failed[0].reason.contains("PDF"))
        #expect(report.added.sorted() == Self.sampleFiles)
    }

    @Test("a crash in the middle of an ingest converges to the same index as an uninterrupted run")
    func crashSafety() async throws {
        let data = try SampleData()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("guiche-db-\(UUID())").path
        let path = SQLiteIndexStore.path(directory: directory, collection: "documentos")
        let crashing = makeIndexer(data, store: try SQLiteIndexStore(path: path), embedding: CountingEmbedding(failAfter: 3))
        await #expect(throws: CountingEmbedding.Crash.self) { try await crashing.sync() }
        // Restart: a new store on the same file, a working model.
        let reopened = try SQLiteIndexStore(path: path)
        let partial = try await reopened.documents()
        #expect(partial.count < Self.sampleFiles.count)
        for document in partial { #expect(document.chunkCount > 0) }
        _ = try await makeIndexer(data, store: reopened).sync()
        let reference = try SQLiteIndexStore(path: nil)
        _ = try await makeIndexer(data, store: reference).sync()
        let recovered = try await reopened.documents().map { [$0.path, $0.contentHash, "\($0.chunkCount)"] }
        let uninterrupted = try await reference.documents().map { [$0.path, $0.contentHash, "\($0.chunkCount)"] }
        #expect(recovered == uninterrupted)
        #expect(try await reopened.chunkCount() == reference.chunkCount())
    }

    @Test("a different embedding model empties the collection and re-embeds everything")
    func modelChange() async throws {
        let data = try SampleData()
        let store = try SQLiteIndexStore(path: nil)
        _ = try await makeIndexer(data, store: store).sync()
        let minilm = try LocalEmbedding(embedder: Embedder(model: TestModels.embedding, configuration: .init(threads: 2)))
        let report = try await makeIndexer(data, store: store, embedding: minilm).sync()
        #expect(report.fullReembed)
        #expect(report.added.sorted() == Self.sampleFiles)
        #expect(try await store.embeddingModel() == minilm.fingerprint)
        #expect(try await store.vectors().dimensions == 384)
    }

    @Test("a different CHUNK_SIZE re-chunks and re-embeds everything; the same settings embed nothing")
    func chunkingChange() async throws {
        let data = try SampleData()
        let store = try SQLiteIndexStore(path: nil)
        _ = try await makeIndexer(data, store: store).sync()
        let same = try await makeIndexer(data, store: store).sync()
        #expect(!same.fullReembed && same.chunksEmbedded == 0)
        let smaller = Indexer(dataDirectory: data.folder, store: store, embedding: RAGModels.embedding, chunkSize: 120, chunkOverlap: 20,
                              batchSize: 16, logger: Logger(label: "test"))
        let report = try await smaller.sync()
        #expect(report.fullReembed)
        #expect(report.added.sorted() == Self.sampleFiles)
        #expect(try await store.chunkingSettings() == "size=120 overlap=20 pipeline=\(Indexer.pipelineVersion)")
    }

    @Test("identifier phrases are extracted from questions")
    func keywordQuery() {
        let query = KeywordQuery("O que diz o art. 147, § 2º, da Lei nº 9.503 e a Resolução CONTRAN 789?")
        // Heads are stemmed as the index stems them ("resolução" and "resolucao" alike).
        #expect(query.phrases == [["art", "147"], ["lei", "9503"], [KeywordText.stem("resolução"), "789"]])
        #expect(KeywordText.stem("resolucao") == KeywordText.stem("resolução"))
        #expect(query.terms.contains("147") && query.terms.contains("contran") && !query.terms.contains("o"))
    }
}
