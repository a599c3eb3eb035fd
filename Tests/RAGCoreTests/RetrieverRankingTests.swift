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

    @Test("an article the portal's page and a printed PDF of the same act both hold is read once, from the page")
    func copiesOfAnActReadOnce() {
        let title = "Lei nº 10.741/2003 (Estatuto da Pessoa Idosa)"
        func chunk(_ id: Int64, _ path: String, _ location: String, title: String = title) -> IndexedChunk {
            IndexedChunk(id: id, documentPath: path, documentTitle: title, ordinal: Int(id), text: "…", location: location, tokens: 10, context: nil)
        }
        let chunks = [
            chunk(1, "idosa.pdf", "Título II › Art. 15 › § 2º"),
            chunk(2, "idosa.htm", "Título II › Art. 15"),
            chunk(3, "idosa.htm", "Título II › Art. 14"),
            chunk(4, "idosa.pdf", "Título II › Art. 13 – Art. 14"),
            chunk(5, "eca.htm", "Título II › Art. 14", title: "Lei nº 8.069/1990"),
            chunk(6, "idosa.pdf", "Título II › Art. 2º (Lei nº 14.423/2022)"),
            chunk(7, "idosa.htm", "Título II › Art. 2º"),
            chunk(8, "idosa.htm", "Título II › Art. 15 › § 3º"),
        ]
        let byID = Dictionary(uniqueKeysWithValues: chunks.map { ($0.id, $0) })
        // The page's Art. 15 takes the PDF's better rank; another chunk of the same document stays;
        // another act's Art. 14 is not a copy; a wording label does not hide a copy.
        #expect(Retriever.withoutCopies([1, 2, 3, 4, 5, 6, 7, 8], chunks: byID) == [2, 3, 5, 7, 8])
        #expect(Retriever.articles(in: "Capítulo I › Art. 40 – Art. 41 › § 2º") == ["Art. 40", "Art. 41"])
        #expect(Retriever.articles(in: "Anexo I – Estrutura curricular").isEmpty)
    }
}
