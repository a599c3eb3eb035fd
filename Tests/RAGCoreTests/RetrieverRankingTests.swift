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
        #expect(Retriever.raising(figure, age: nil, in: [1, 2, 3], scores: scores, texts: Self.texts) == [2, 1, 3])
    }

    @Test("a candidate whose age condition holds for the stated age passes a close one above it")
    func ageBandRises() {
        let texts: [Int64: String] = [
            1: "§ 2º O exame de aptidão física e mental será preliminar e renovável com a seguinte periodicidade:",
            2: "III - a cada 3 (três) anos, para condutores com idade igual ou superior a 70 (setenta) anos.",
            3: "I - a cada 10 (dez) anos, para condutores com idade inferior a 50 (cinquenta) anos;",
        ]
        let scores: [Int64: Double] = [1: 1.0, 2: 0.9, 3: 0.95]
        #expect(Retriever.raising(nil, age: 72, in: [1, 3, 2], scores: scores, texts: texts) == [2, 1, 3])
        #expect(Retriever.raising(nil, age: 45, in: [1, 3, 2], scores: scores, texts: texts) == [3, 1, 2])
        // For 60, both bands exclude the asker: they fall behind the § with no age condition.
        #expect(Retriever.raising(nil, age: 60, in: [1, 3, 2], scores: [1: 0.9, 2: 0.95, 3: 1.0], texts: texts) == [1, 3, 2])
    }

    @Test("a candidate stating another kind of figure keeps its place")
    func otherFigureStays() throws {
        let figure = try #require(AskedFigure.asked(in: "qual o percentual do desconto?"))
        let scores: [Int64: Double] = [1: 1.0, 2: 0.9, 3: 0.6]
        #expect(Retriever.raising(figure, age: nil, in: [1, 2, 3], scores: scores, texts: Self.texts) == [1, 2, 3])
    }

    @Test("a passage the portal's page and a printed PDF of the same act both hold is read once, from the page")
    func copiesOfAnActReadOnce() {
        let title = "Lei nº 10.741/2003 (Estatuto da Pessoa Idosa)"
        let caput = "Art. 15. É assegurada a atenção integral à saúde da pessoa idosa, por intermédio do Sistema Único de Saúde."
        let paragraph = "§ 2º Incumbe ao poder público fornecer às pessoas idosas, gratuitamente, medicamentos, especialmente os de uso continuado."
        func chunk(_ id: Int64, _ path: String, _ location: String, _ text: String, title: String = title) -> IndexedChunk {
            IndexedChunk(id: id, documentPath: path, documentTitle: title, ordinal: Int(id), text: text, location: location, tokens: 10, context: nil)
        }
        let chunks = [
            chunk(1, "idosa.pdf", "p. 4, Art. 15 › § 2º", paragraph),
            chunk(2, "idosa.htm", "Título II › Art. 15", caput),
            chunk(3, "idosa.htm", "Título II › Art. 15 › § 2º", paragraph),
            chunk(4, "idosa.pdf", "p. 4, Art. 15", caput + " (Redação dada pela Lei nº 14.423, de 2022)"),
            chunk(5, "eca.htm", "Título II › Art. 15", paragraph, title: "Lei nº 8.069/1990"),
            chunk(6, "idosa.pdf", "p. 9, Anexo › Art. 15", "Art. 15. Tabela de valores do anexo, em reais, por serviço prestado."),
        ]
        let byID = Dictionary(uniqueKeysWithValues: chunks.map { ($0.id, $0) })
        // The page's § 2º takes the PDF's place; the caput is another passage of the article, kept;
        // the PDF's caput repeats the page's; another act, or an annex article of the same number
        // with other words, is no copy.
        #expect(Retriever.withoutCopies([1, 2, 3, 4, 5, 6], chunks: byID) == [3, 2, 5, 6])
        #expect(Retriever.articles(in: "Capítulo I › Art. 40 – Art. 41 › § 2º") == ["Art. 40", "Art. 41"])
        #expect(Retriever.articles(in: "p. 3–4, Art. 2º (Lei nº 14.423/2022) › § 1º") == ["Art. 2º"])
        #expect(Retriever.articles(in: "Anexo I – Estrutura curricular").isEmpty)
    }

    @Test("a question naming a table's column gets the row about its subject, not a row that only shares the column")
    func recordAboutTheSubject() {
        func chunk(_ id: Int64, _ path: String, _ text: String) -> IndexedChunk {
            IndexedChunk(id: id, documentPath: path, documentTitle: "", ordinal: Int(id), text: text, location: "", tokens: 10, context: nil)
        }
        let chunks = [
            chunk(1, "ctb.htm", "Art. 259. A cada infração cometida são computados os seguintes números de pontos: I - gravíssima - sete pontos;"),
            chunk(2, "renainf.csv", "Código da Infração: 6530; Descrição da Infração: Usar buzina entre 22 e 6 horas; Gravidade: Leve; Pontos: 3"),
            chunk(3, "renainf.csv", "Código da Infração: 5185; Descrição da Infração: Deixar o condutor de usar o cinto segurança; Gravidade: Grave; Pontos: 5"),
            chunk(4, "ctb.htm", "Art. 167. Deixar o condutor ou passageiro de usar o cinto de segurança: Infração - grave;"),
            chunk(5, "ctb.htm", "Art. 252. Dirigir o veículo: VI - utilizando-se de fones nos ouvidos ou de telefone celular; Infração - média;"),
        ]
        let byID = Dictionary(uniqueKeysWithValues: chunks.map { ($0.id, $0) })
        let termSets = chunks.map { Set(KeywordText.terms(of: $0.text)) }
        #expect(Retriever.record(for: "quantos pontos eu perco se for pego sem cinto?", among: [1, 2, 3, 4, 5], chunks: byID, termSets: termSets) == 3)
        #expect(Retriever.record(for: "qual a gravidade de não usar cinto?", among: [1, 2, 3, 4, 5], chunks: byID, termSets: termSets) == 3)
        // No column named ("o que acontece"), or no row about the subject (the buzina's shares
        // "usar", not "celular").
        #expect(Retriever.record(for: "o que acontece se eu dirigir sem cinto?", among: [1, 2, 3, 4, 5], chunks: byID, termSets: termSets) == nil)
        #expect(Retriever.record(for: "quantos pontos dá usar o celular?", among: [1, 2, 3, 4, 5], chunks: byID, termSets: termSets) == nil)
        #expect(Retriever.isRecord(chunks[1]) && !Retriever.isRecord(chunks[0]))
        // The row goes first in a ranking without one (both the ranking quoted and the one refusal
        // was calibrated on), and nowhere in a ranking that holds a row already.
        var articles: [Int64] = [1, 4, 5]
        Retriever.place(3, in: &articles, reach: 3, chunks: byID)
        #expect(articles == [3, 1, 4, 5])
        var withRow: [Int64] = [1, 2, 4]
        Retriever.place(3, in: &withRow, reach: 3, chunks: byID)
        #expect(withRow == [1, 2, 4])
    }
}
