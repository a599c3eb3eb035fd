import Foundation
import LlamaRuntime
@testable import RAGCore
import Testing
import TestSupport

/// Retrieval and refusal on the sample documents with the real e5 model and SQLite.
@Suite("Hybrid retrieval and refusal on the sample set", .serialized)
struct RetrievalTests {
    /// Questions whose answer lives in exactly one sample document, paraphrased away from it.
    static let questions: [(String, String)] = [
        ("Quanto pago para tirar outra via da carteira de motorista?", "taxas-detran.csv"),
        ("Minha mãe idosa precisa de algum cartão para usar a vaga reservada?", "atendimento-chat.json"),
        ("Quantas horas de aula no carro são exigidas para a categoria B?", "resolucao-contran-789-resumo.pdf"),
        ("Com quantos pontos o motorista perde o direito de dirigir?", "codigo-transito-trechos.txt"),
        ("O que diz o art. 147?", "codigo-transito-trechos.txt"),
        ("Se eu faltar à aula prática sem avisar, pago alguma coisa?", "regras-autoescola.html"),
        ("Qual o procedimento para renovação da CNH?", "renovacao-cnh.md"),
        ("Quais documentos devo levar para renovar a habilitação?", "renovacao-cnh.md"),
        ("O que a Resolução 789 diz sobre o prazo do processo de habilitação?", "resolucao-contran-789-resumo.pdf"),
    ]

    static let outOfScope = [
        "Qual a capital da Austrália?",
        "Como faço um bolo de cenoura com cobertura de chocolate?",
        "Quem ganhou a Copa do Mundo de 2002?",
        "Qual a melhor linguagem de programação para jogos?",
        "Como declarar imposto de renda sobre aluguel?",
    ]

    static func indexedRetriever() async throws -> Retriever {
        let data = try SampleData()
        let store = try SQLiteIndexStore(path: nil)
        _ = try await makeIndexer(data, store: store).sync()
        // As `guiche serve` builds it: with the built-in vocabulary.
        let retriever = Retriever(store: store, embedding: RAGModels.embedding, vocabulary: try Vocabulary.builtIn())
        try await retriever.reload()
        return retriever
    }

    @Test("only the texts asked for get a sparse vector (the question does, its rewrite does not); dense vectors are unchanged")
    func sparseOnlyWhereAsked() async throws {
        let texts = ["Qual o prazo de validade da CNH?", "Qual o prazo de validade da Carteira Nacional de Habilitação?"]
        let first = try await RAGModels.embedding.vectors(texts, kind: .query, sparseCount: 1)
        #expect(first[0].sparse?.indices.isEmpty == false)
        #expect(first[1].sparse == nil)
        let all = try await RAGModels.embedding.vectors(texts, kind: .query)
        #expect(all.allSatisfy { $0.sparse != nil })
        #expect(all[0].sparse == first[0].sparse)
        #expect(try await RAGModels.embedding.embed(texts, kind: .query) == first.map(\.dense))
    }

    /// One question falls short of first place in the product's configuration: "outra via da
    /// carteira de motorista" shares "carteira", "motorista" and "pague" with the renewal guide
    /// (first) and only "via" with the fee table (second), whose row says "Segunda via da CNH".
    @Test("a question answered by one document finds that document first (8 of 9) or second")
    func rightDocumentFirst() async throws {
        let retriever = try await Self.indexedRetriever()
        var hits = 0
        for (question, document) in Self.questions {
            let sources = try await retriever.retrieve(question, topK: 4)
            if sources.first?.documentPath == document { hits += 1 }
            #expect(sources.prefix(2).contains { $0.documentPath == document }, "\(question) → \(sources.map(\.documentPath))")
        }
        print("sample set: \(hits)/\(Self.questions.count) questions found their document first")
        #expect(hits >= Self.questions.count - 1)
    }

    @Test("an act in the folder twice, as the portal's page and as a printed PDF, gives each article once, from the page")
    func actPublishedTwice() async throws {
        let data = try SampleData()
        // The page and its print from Chromium (Tests/Fixtures: printed once, so that the test runs no browser).
        for (fixture, name) in [("ctb-trechos.htm", "ctb.htm"), ("ctb-trechos-impresso.pdf", "ctb-impresso.pdf")] {
            try TestModels.fixture(fixture).write(to: data.url(name))
        }
        let store = try SQLiteIndexStore(path: nil)
        _ = try await makeIndexer(data, store: store).sync()
        let retriever = Retriever(store: store, embedding: RAGModels.embedding, vocabulary: try Vocabulary.builtIn())
        try await retriever.reload()
        let titles = Set(try await store.documents().filter { $0.path.hasPrefix("ctb") }.map(\.title))
        #expect(titles.count == 1, "both copies read as the same act: \(titles)")
        let sources = try await retriever.retrieve("tenho 55 anos, de quanto em quanto tempo renovo o exame médico da carteira?", topK: 5)
        let acts = sources.filter { $0.documentPath.hasPrefix("ctb") }
        #expect(acts.first?.documentPath == "ctb.htm" && acts.first?.location.contains("Art. 147") == true, "\(sources.map { "\($0.documentPath) \($0.location)" })")
        // Every passage of the act names its article (in the PDF too: "p. 1, Art. 147 › § 2º"), and none twice.
        let articles = acts.map { Retriever.articles(in: $0.location) }
        #expect(!articles.contains { $0.isEmpty }, "\(sources.map(\.location))")
        let named = articles.flatMap { $0 }
        #expect(named.count == Set(named).count, "an article twice: \(sources.map { "\($0.documentPath) \($0.location)" })")
    }

    @Test("an exact identifier ranks its article")
    func identifiers() async throws {
        let retriever = try await Self.indexedRetriever()
        let sources = try await retriever.retrieve("art. 261", topK: 3)
        #expect(sources.first?.text.contains("Art. 261") == true, "\(sources.map(\.location))")
    }

    @Test("an out-of-scope question gets the fixed refusal without calling the generator")
    func refusal() async throws {
        let retriever = try await Self.indexedRetriever()
        let answerer = Answerer(
            retriever: retriever, generation: FailingGeneration(), selector: EvidenceSelector(embedding: RAGModels.embedding),
            settings: .init(refusalThreshold: 0.83))
        let answer = try await answerer.answer(question: "Como faço um bolo de cenoura?")
        #expect(answer.refused)
        #expect(answer.text == Answerer.refusal)
        #expect(answer.sources.isEmpty)
    }

    /// Isolates the refusal logic: any call to it is a failure.
    struct FailingGeneration: TextGeneration {
        struct Called: Error {}
        func stream(messages: [ChatMessage], parameters: SamplingParameters) async throws -> AsyncThrowingStream<GenerationEvent, Error> {
            throw Called()
        }
    }
}
