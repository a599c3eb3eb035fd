import DocumentIngestion
import Foundation
import LlamaRuntime
import Logging
import PostgresNIO
import PostgresStore
@testable import RAGCore
import Testing
import TestSupport

/// The two index stores; the behaviour suite runs unchanged on both.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// A fresh, empty collection: an in-memory SQLite database, or a new schema on the test server.
    func make() async throws -> any IndexStore {
        switch self {
        case .sqlite: return try SQLiteIndexStore(path: nil)
        case .postgres:
            let store = PostgresIndexStore(
                client: try TestDatabase.client.get(), collection: "t\(UUID().uuidString.prefix(12))", logger: Logger(label: "test"))
            try await store.migrate()
            return store
        }
    }
}

/// One connection pool to the test PostgreSQL per test process, running for the process's life.
enum TestDatabase {
    static let client: Result<PostgresClient, any Error> = Result {
        let url = try DatabaseURL(try TestPostgres.url())
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: Logger(label: "test-postgres"))
        Task.detached { await client.run() }
        return client
    }
}

@Suite("Index stores: SQLite and PostgreSQL behave alike")
struct IndexStoreTests {
    static let model = EmbeddingModelFingerprint(name: "test", dimensions: 4, fileDigest: "abc")

    static func chunk(_ ordinal: Int, _ text: String, vector: [Float], context: String? = nil, sparse: SparseVector? = nil) -> NewChunk {
        NewChunk(
            chunk: Chunk(ordinal: ordinal, text: text, structure: ["Capítulo I", "Art. \(ordinal + 1)"], tokens: 10, context: context),
            vector: vector, sparse: sparse, documentTitle: "Lei nº 9.503/1997")
    }

    static func document(_ path: String, hash: String = "h1", chunks: Int) -> StoredDocument {
        StoredDocument(
            path: path, contentHash: hash, format: "txt", title: "Lei nº 9.503/1997", chunkCount: chunks,
            indexedAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test("a collection's settings, documents, chunks and vectors are stored, replaced and removed", arguments: StoreKind.allCases)
    func roundTrip(kind: StoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.embeddingModel() == nil)
        #expect(try await store.chunkingSettings() == nil)
        try await store.reset(for: Self.model, chunking: "size=300")
        #expect(try await store.embeddingModel() == Self.model)
        #expect(try await store.chunkingSettings() == "size=300")
        #expect(try await store.calibration() == nil)
        let calibration = RefusalCalibration(outside: [0.8, 0.85, 0.86, 0.9], inside: [0.87, 0.9], floor: 0.85, version: 2)
        try await store.saveCalibration(calibration)
        #expect(try await store.calibration() == calibration)

        let vectors: [[Float]] = [[0.1, -0.2, 0.3, 0.9274], [1e-7, 0.5, -0.5, 0.7071068], [0.33333334, 0.6666667, 0.0, -0.6666667]]
        let sparse = SparseVector(indices: [3, 70, 16_383], values: [0.25, 1e-6, 7.5])
        try await store.replace(Self.document("a.txt", chunks: 2), chunks: [
            Self.chunk(0, "Art. 1º O trânsito de qualquer natureza.", vector: vectors[0], sparse: sparse),
            Self.chunk(1, "Art. 2º São vias terrestres.", vector: vectors[1], context: "Art. 2º São vias"),
        ])
        try await store.replace(Self.document("b.txt", chunks: 1), chunks: [Self.chunk(0, "Art. 147. Exames.", vector: vectors[2])])
        #expect(try await store.documents().map(\.path) == ["a.txt", "b.txt"])
        #expect(try await store.documents()[0] == Self.document("a.txt", chunks: 2))
        #expect(try await store.chunkCount() == 3)
        let snapshot = try await store.vectors()
        #expect(snapshot.dimensions == 4)
        #expect(snapshot.values == vectors.flatMap { $0 }, "vectors come back bit for bit")
        #expect(snapshot.sparse == [snapshot.ids[0]: sparse], "sparse vectors too, for the chunks that have one")
        let byID = try await store.vectors(ids: [snapshot.ids[0], snapshot.ids[2]])
        #expect(byID[snapshot.ids[0]] == TextVectors(dense: vectors[0], sparse: sparse))
        #expect(byID[snapshot.ids[2]] == TextVectors(dense: vectors[2]))
        let chunks = try await store.chunks(documentPath: "a.txt")
        #expect(chunks.map(\.text) == ["Art. 1º O trânsito de qualquer natureza.", "Art. 2º São vias terrestres."])
        #expect(chunks.map(\.context) == [nil, "Art. 2º São vias"])
        #expect(chunks[0].documentTitle == "Lei nº 9.503/1997")
        #expect(chunks[1].location == "Capítulo I › Art. 2")
        #expect(try await store.chunks(ids: snapshot.ids.reversed()).map(\.id) == snapshot.ids.reversed(), "in the order asked")
        let heading = KeywordText.terms(of: "Lei nº 9.503/1997\nCapítulo I › Art. 1")
        #expect(try await store.keywordTerms(ids: [snapshot.ids[2], -1]) == [snapshot.ids[2]: Set(["art", "147", "exam"] + heading)],
                "body and heading terms, no identifier phrase ('art 147')")

        // Replacing a document replaces its chunks and their keyword terms.
        try await store.replace(Self.document("a.txt", hash: "h2", chunks: 1), chunks: [
            Self.chunk(0, "Art. 1º Vias abertas à circulação.", vector: vectors[1])
        ])
        #expect(try await store.chunks(documentPath: "a.txt").map(\.text) == ["Art. 1º Vias abertas à circulação."])
        #expect(try await store.documents().first?.contentHash == "h2")
        #expect(try await store.keywordSearch(KeywordQuery("trânsito de qualquer natureza"), limit: 5).isEmpty)
        #expect(try await store.keywordSearch(KeywordQuery("circulação"), limit: 5).count == 1)
        try await store.remove(documentPath: "a.txt")
        #expect(try await store.documents().map(\.path) == ["b.txt"])
        #expect(try await store.chunkCount() == 1)
        #expect(try await store.keywordSearch(KeywordQuery("circulação"), limit: 5).isEmpty)
        #expect(try await store.keywordSearch(KeywordQuery("art. 147"), limit: 5).count == 1)

        // A reset empties the collection for a full re-embed.
        try await store.reset(for: EmbeddingModelFingerprint(name: "other", dimensions: 3, fileDigest: "def"), chunking: "size=200")
        #expect(try await store.documents().isEmpty)
        #expect(try await store.chunkCount() == 0)
        #expect(try await store.vectors().dimensions == 3)
    }

    @Test("the sample folder indexed into PostgreSQL ranks, scores and answers as in SQLite")
    func sameRetrieval() async throws {
        let data = try SampleData()
        let sqlite = try await StoreKind.sqlite.make()
        let postgres = try await StoreKind.postgres.make()
        let embedding = CountingEmbedding()
        _ = try await makeIndexer(data, store: sqlite, embedding: embedding).sync()
        let embedded = embedding.texts
        _ = try await makeIndexer(data, store: postgres, embedding: embedding).sync()
        #expect(embedding.texts == 2 * embedded)
        #expect(try await postgres.documents().map(\.path) == (try await sqlite.documents()).map(\.path))
        let questions = RetrievalTests.questions.map(\.0) + ["art. 261", "Resolução CONTRAN nº 789", "carteira vencida multa"]
        for question in questions {
            let expected = try await sqlite.keywordSearch(KeywordQuery(question), limit: 40)
            let found = try await postgres.keywordSearch(KeywordQuery(question), limit: 40)
            #expect(!expected.isEmpty, "\(question)")
            #expect(found.map(\.id) == expected.map(\.id), "\(question)")
            for (a, b) in zip(found, expected) { #expect(abs(a.score - b.score) <= 1e-9 * max(1, abs(b.score)), "\(question)") }
        }
        let fromSQLite = Retriever(store: sqlite, embedding: RAGModels.embedding)
        let fromPostgres = Retriever(store: postgres, embedding: RAGModels.embedding)
        try await fromSQLite.reload()
        try await fromPostgres.reload()
        for question in questions {
            let expected = try await fromSQLite.retrieve(question, topK: 4)
            let found = try await fromPostgres.retrieve(question, topK: 4)
            #expect(found.map(\.location) == expected.map(\.location), "\(question)")
            #expect(found.map(\.similarity) == expected.map(\.similarity), "\(question)")
        }
    }

    @Test("a document whose replacement fails midway keeps its previous version whole")
    func failedReplace() async throws {
        let store = try await StoreKind.postgres.make()
        try await store.reset(for: Self.model, chunking: "size=300")
        try await store.replace(Self.document("a.txt", chunks: 1), chunks: [Self.chunk(0, "Art. 1º Antes.", vector: [1, 0, 0, 0])])
        // The second chunk's vector has the wrong size: the database refuses it after the first went in.
        await #expect(throws: (any Error).self) {
            try await store.replace(Self.document("a.txt", hash: "h2", chunks: 2), chunks: [
                Self.chunk(0, "Art. 1º Depois.", vector: [0, 1, 0, 0]), Self.chunk(1, "Art. 2º Depois.", vector: [0, 1, 0]),
            ])
        }
        #expect(try await store.documents().map(\.contentHash) == ["h1"])
        #expect(try await store.chunks(documentPath: "a.txt").map(\.text) == ["Art. 1º Antes."])
        #expect(try await store.keywordSearch(KeywordQuery("depois"), limit: 5).isEmpty)
    }
}

@Suite("Rag replicas on one PostgreSQL")
struct ReplicaTests {
    /// A rag replica: its own connection pool (as another process would have) over `collection`.
    static func replica(_ data: SampleData, collection: String, embedding: CountingEmbedding) async throws -> KnowledgeBase {
        let client = PostgresClient(
            configuration: try DatabaseURL(try TestPostgres.url()).clientConfiguration(), backgroundLogger: Logger(label: "test"))
        Task.detached { await client.run() }
        let store = PostgresIndexStore(client: client, collection: collection, logger: Logger(label: "test"))
        try await store.migrate()
        return KnowledgeBase(
            store: store, embedding: embedding, generation: GroundedAnswerTests.ScriptedGeneration(""),
            indexer: makeIndexer(data, store: store, embedding: embedding), settings: .init())
    }

    @Test("one replica's ingest reaches the other without a restart, both answer alike, and syncs take turns")
    func ingestReachesTheOther() async throws {
        let data = try SampleData()
        let collection = "r\(UUID().uuidString.prefix(12))"
        let (embeddingA, embeddingB) = (CountingEmbedding(), CountingEmbedding())
        let a = try await Self.replica(data, collection: collection, embedding: embeddingA)
        let b = try await Self.replica(data, collection: collection, embedding: embeddingB)
        try await b.load()
        let question = "Quanto custa a segunda via da CNH?"
        #expect(try await b.retriever.retrieve(question, topK: 4).isEmpty)

        let report = try await a.ingest()
        #expect(report.added.sorted() == IndexerTests.sampleFiles)
        #expect(try await b.retriever.retrieve(question, topK: 4).isEmpty, "b answers from the index it loaded until it refreshes")
        #expect(try await b.refreshIfChanged())
        #expect(try await !b.refreshIfChanged(), "nothing changed since")
        for question in RetrievalTests.questions.map(\.0) + [question] {
            let (fromA, fromB) = (try await a.answerer.answer(question: question), try await b.answerer.answer(question: question))
            #expect(fromA.text == fromB.text, "\(question)")
            #expect(fromA.sources.map(\.location) == fromB.sources.map(\.location), "\(question)")
        }

        // Both replicas sync a changed file at once: one embeds it, the other waits its turn and finds it done.
        let file = data.url("renovacao-cnh.md")
        try (String(contentsOf: file, encoding: .utf8) + "\n\nA renovação pode ser agendada pelo aplicativo do DETRAN.\n")
            .write(to: file, atomically: true, encoding: .utf8)
        let (before, beforeB) = (embeddingA.texts, embeddingB.texts)
        async let syncA = a.ingest()
        async let syncB = b.ingest()
        let reports = try await [syncA, syncB]
        #expect(reports.map { $0.updated.count }.sorted() == [0, 1], "\(reports.map(\.updated))")
        #expect(reports.map(\.unchanged.count).sorted() == [IndexerTests.sampleFiles.count - 1, IndexerTests.sampleFiles.count])
        #expect(embeddingA.texts - before + embeddingB.texts - beforeB == reports.map(\.chunksEmbedded).reduce(0, +))
        #expect(try await a.documents().count == IndexerTests.sampleFiles.count)
        #expect(try await a.chunkCount() == (try await b.chunkCount()))
    }
}

@Suite("Conversation stores: SQLite and PostgreSQL behave alike")
struct ConversationStoreTests {
    static func make(_ kind: StoreKind) async throws -> any ConversationStore {
        switch kind {
        case .sqlite: return try SQLiteConversationStore(path: nil)
        case .postgres:
            let store = PostgresConversationStore(
                client: try TestDatabase.client.get(), collection: "c\(UUID().uuidString.prefix(12))", logger: Logger(label: "test"))
            try await store.migrate()
            return store
        }
    }

    @Test("conversations keep their turns in order; feedback is kept whole, oldest first", arguments: StoreKind.allCases)
    func roundTrip(kind: StoreKind) async throws {
        let store = try await Self.make(kind)
        let conversation = try await store.startConversation()
        #expect(try await store.conversation(id: "nenhuma") == nil)
        let asked = Date(timeIntervalSince1970: 1_764_000_000.25)
        try await store.append(.init(question: "Quanto custa?", standaloneQuestion: "Quanto custa a CNH?", answer: "R$ 98,70", mode: "extrativa",
                                     sources: "[]", askedAt: asked), to: conversation.id)
        try await store.append(.init(question: "E para moto?", standaloneQuestion: "E a CNH para moto?", answer: "—", mode: "recusa",
                                     sources: "[{\"documento\":\"a.md\"}]", askedAt: asked.addingTimeInterval(1)), to: conversation.id)
        let read = try #require(try await store.conversation(id: conversation.id))
        #expect(read.turns.map(\.question) == ["Quanto custa?", "E para moto?"])
        #expect(read.turns.map(\.standaloneQuestion) == ["Quanto custa a CNH?", "E a CNH para moto?"])
        #expect(read.turns[1].sources == "[{\"documento\":\"a.md\"}]" && read.turns[1].mode == "recusa")
        #expect(abs(read.turns[0].askedAt.timeIntervalSince(asked)) < 0.001)
        #expect(abs(read.createdAt.timeIntervalSince(conversation.createdAt)) < 0.001)

        let votes = [
            Feedback(vote: .positivo, comment: nil, question: "q1", answer: "a1", sources: nil, conversationID: nil, embeddingModel: "e5",
                     chatModel: "qwen", givenAt: asked),
            Feedback(vote: .negativo, comment: "errado", question: "q2", answer: "a2", sources: "[]", conversationID: conversation.id,
                     embeddingModel: "e5", chatModel: "qwen", givenAt: asked.addingTimeInterval(2)),
        ]
        for vote in votes { try await store.record(vote) }
        let kept = try await store.feedback()
        #expect(kept.map(\.vote) == [.positivo, .negativo])
        #expect(kept.map(\.comment) == [nil, "errado"])
        #expect(kept.map(\.conversationID) == [nil, conversation.id])
        #expect(kept.map(\.sources) == [nil, "[]"])
    }
}
