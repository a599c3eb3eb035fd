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
        let retriever = Retriever(store: store, embedding: RAGModels.embedding)
        try await retriever.reload()
        return retriever
    }

    @Test("a question answered by one document finds that document first")
    func rightDocumentFirst() async throws {
        let retriever = try await Self.indexedRetriever()
        var hits = 0
        for (question, document) in Self.questions {
            let sources = try await retriever.retrieve(question, topK: 4)
            if sources.first?.documentPath == document { hits += 1 }
            #expect(sources.first?.documentPath == document, "\(question) → \(sources.map(\.documentPath))")
        }
        print("sample set: \(hits)/\(Self.questions.count) questions found their document first")
    }

    @Test("an exact identifier ranks its article")
    func identifiers() async throws {
        let retriever = try await Self.indexedRetriever()
        let sources = try await retriever.retrieve("art. 261", topK: 3)
        #expect(sources.first?.text.contains("Art. 261") == true, "\(sources.map(\.location))")
    }

    @Test("the refusal threshold separates in-scope from out-of-scope questions")
    func refusalThreshold() async throws {
        let retriever = try await Self.indexedRetriever()
        var inScope: [Float] = []
        for (question, _) in Self.questions {
            inScope.append(try await retriever.retrieve(question, topK: 4).map(\.similarity).max() ?? 0)
        }
        var outside: [Float] = []
        for question in Self.outOfScope {
            outside.append(try await retriever.retrieve(question, topK: 4).map(\.similarity).max() ?? 0)
        }
        print("best similarity — in scope: min \(inScope.min()!) max \(inScope.max()!); out of scope: min \(outside.min()!) max \(outside.max()!)")
        let threshold = Answerer.defaultRefusalThreshold
        #expect(inScope.allSatisfy { $0 >= threshold }, "\(inScope)")
        #expect(outside.allSatisfy { $0 < threshold }, "\(outside)")
    }

    @Test("paraphrased questions of the retrieval check stay above the threshold")
    func thresholdOnRetrievalCheck() async throws {
        struct CheckSet: Decodable {
            struct Passage: Decodable { var id: String; var text: String }
            struct Question: Decodable { var passage: String; var text: String }
            var passages: [Passage]
            var questions: [Question]
        }
        let set = try JSONDecoder().decode(CheckSet.self, from: TestModels.fixture("retrieval-pt.json"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guiche-check-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for passage in set.passages {
            try passage.text.write(to: folder.appendingPathComponent("\(passage.id).txt"), atomically: true, encoding: .utf8)
        }
        let store = try SQLiteIndexStore(path: nil)
        _ = try await Indexer(dataDirectory: folder, store: store, embedding: RAGModels.embedding, chunkSize: 200, chunkOverlap: 0,
                              batchSize: 16, logger: .init(label: "test")).sync()
        let retriever = Retriever(store: store, embedding: RAGModels.embedding)
        try await retriever.reload()
        var best: [Float] = []
        var top1 = 0
        for question in set.questions {
            let sources = try await retriever.retrieve(question.text, topK: 4)
            best.append(sources.map(\.similarity).max() ?? 0)
            if sources.first?.documentPath == "\(question.passage).txt" { top1 += 1 }
        }
        let answered = best.filter { $0 >= Answerer.defaultRefusalThreshold }.count
        print("retrieval check through the RAG index: top-1 \(top1)/30, above the refusal threshold \(answered)/30, lowest \(best.min()!)")
        #expect(answered >= 27)
    }

    @Test("an out-of-scope question gets the fixed refusal without calling the generator")
    func refusal() async throws {
        let retriever = try await Self.indexedRetriever()
        let answerer = Answerer(retriever: retriever, generation: FailingGeneration())
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
