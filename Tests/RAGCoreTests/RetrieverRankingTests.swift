@testable import RAGCore
import Testing

/// How `Retriever` orders its best fused candidates, on scripted scores.
@Suite("Retriever ranking")
struct RetrieverRankingTests {
    static let texts: [Int64: String] = [
        1: "O estágio de convivência será acompanhado pela equipe interprofissional.",
        2: "O estágio de convivência terá o prazo máximo de 90 (noventa) dias.",
        3: "A adoção depende do consentimento dos pais; o prazo de 10 (dez) dias corre da audiência.",
    ]

    @Test("a candidate stating the asked kind of figure passes a close one above it, not a distant one")
    func statedFigureRises() throws {
        let figure = try #require(AskedFigure.asked(in: "quanto tempo dura o estágio de convivência?"))
        #expect(figure == .duration)
        let scores: [Int64: Double] = [1: 1.0, 2: 0.9, 3: 0.6]
        #expect(Retriever.raisingStated(figure, in: [1, 2, 3], scores: scores, texts: Self.texts) == [2, 1, 3])
    }

    @Test("a candidate stating another kind of figure keeps its place")
    func otherFigureStays() throws {
        let figure = try #require(AskedFigure.asked(in: "qual o percentual do desconto?"))
        let scores: [Int64: Double] = [1: 1.0, 2: 0.9, 3: 0.6]
        #expect(Retriever.raisingStated(figure, in: [1, 2, 3], scores: scores, texts: Self.texts) == [1, 2, 3])
    }
}
