@testable import DocumentIngestion
import Foundation
import LlamaRuntime
import Testing
import TestSupport

/// Counts words: isolates the chunker's logic from any tokenizer.
let wordCount: @Sendable (String) -> Int = { $0.split(whereSeparator: { $0 == " " || $0 == "\n" }).count }

let codigoDeTransito = """
# Código de Trânsito Brasileiro (trechos)

CAPÍTULO XIV
DA HABILITAÇÃO

Art. 140. A habilitação para conduzir veículo automotor e elétrico será apurada por meio de exames que deverão ser realizados junto ao órgão ou entidade executivos do Estado ou do Distrito Federal, do domicílio ou residência do candidato, ou na sede estadual ou distrital do próprio órgão, devendo o condutor preencher os seguintes requisitos:
I - ser penalmente imputável;
II - saber ler e escrever;
III - possuir Carteira de Identidade ou equivalente.
Parágrafo único. As informações do candidato à habilitação serão cadastradas no RENACH.

Art. 147. O candidato à habilitação deverá submeter-se a exames realizados pelo órgão executivo de trânsito, na seguinte ordem:
I - de aptidão física e mental;
II - (VETADO)
III - escrito, sobre legislação de trânsito;
IV - de noções de primeiros socorros, conforme regulamentação do CONTRAN;
V - de direção veicular, realizado na via pública, em veículo da categoria para a qual estiver habilitando-se.
§ 1º Os resultados dos exames e a identificação dos respectivos examinadores serão registrados no RENACH.
§ 2º O exame de aptidão física e mental, a ser realizado no local de residência ou domicílio do examinado, será preventivo e renovável a cada dez anos para condutores com menos de cinquenta anos de idade, a cada cinco anos para condutores entre cinquenta e setenta anos e a cada três anos para condutores com setenta anos ou mais.
§ 3º O exame previsto no § 2º incluirá avaliação psicológica preliminar e complementar sempre que a ele se submeter o condutor que exerce atividade remunerada ao veículo.

Art. 148. Os exames de habilitação, exceto os de direção veicular, poderão ser aplicados por entidades públicas ou privadas credenciadas pelo órgão executivo de trânsito dos Estados e do Distrito Federal, de acordo com as normas estabelecidas pelo CONTRAN.
"""

@Suite("Legal chunker")
struct LegalChunkerTests {
    @Test("structural markers of Portuguese legal text are recognised", arguments: [
        ("Art. 147. O candidato", "Art. 147"), ("Art. 1º Esta Lei", "Art. 1º"), ("Artigo 5 - texto", "Art. 5º"),
        ("Art. 282-A. O proprietário", "Art. 282-A"), ("§ 2º O exame", "§ 2º"), ("§ 10. Texto", "§ 10"),
        ("Parágrafo único. As informações", "Parágrafo único"), ("II - saber ler", "inciso II"),
        ("IV – de noções", "inciso IV"), ("a) fulano", "alínea a"), ("CAPÍTULO XIV", "Capítulo XIV"),
        ("TÍTULO II", "Título II"), ("Seção III", "Seção III"), ("## Renovação da CNH", "Renovação da CNH"),
        ("## Art. 5º Todos", "Art. 5º"), ("ANEXO I", "Anexo I"), ("ANEXO II - TABELA DE EXAMES", "Anexo II"), ("ANEXO ÚNICO", "Anexo ÚNICO"),
        ("ANEXO", "Anexo"), ("CAPÍTULO III-A", "Capítulo III-A"), ("Seção V-A", "Seção V-A"), ("TÍTULO I-A", "Título I-A"),
        ("CAPÍTULO IV-DAS INFRAÇÕES", "Capítulo IV"),
    ])
    func markers(line: String, label: String) {
        #expect(LegalChunker.marker(of: line)?.1 == label)
    }

    @Test("plain sentences are not mistaken for structure", arguments: [
        "O condutor deve renovar a CNH.", "Isso vale para o art. 147 também.", "Item importante: a taxa.", "Ia ao DETRAN - hoje",
        "Anexo I desta Resolução.", "ANEXOS ao processo",
    ])
    func notMarkers(line: String) {
        #expect(LegalChunker.marker(of: line) == nil)
    }

    @Test("chunks follow articles and record their structural path")
    func followsArticles() {
        let chunker = LegalChunker(size: 120, overlap: 10, countTokens: wordCount)
        let chunks = chunker.chunk(LoadedDocument(path: "ctb.md", format: .markdown, pages: [.init(number: nil, text: codigoDeTransito)]))
        #expect(chunks.allSatisfy { $0.tokens <= 120 })
        // Each article starts its own chunk, under its chapter.
        let art147 = chunks.filter { $0.text.contains("Art. 147.") }
        #expect(art147.count == 1)
        // A division's name joins its label.
        #expect(art147[0].structure.suffix(2) == ["Capítulo XIV – Da habilitação", "Art. 147"])
        #expect(!chunks.contains { $0.text.contains("Art. 140.") && $0.text.contains("Art. 147.") })
        // The § 2º text is findable with its location.
        let renewal = chunks.first { $0.text.contains("renovável a cada dez anos") }!
        #expect(renewal.location.contains("Art. 147"))
        #expect(chunks.map(\.ordinal) == Array(0..<chunks.count))
    }

    @Test("a division inserted later ('CAPÍTULO III-A') takes its name across the portal's annotation and is no chunk of its own")
    func insertedDivision() {
        let text = """
        CAPÍTULO III-A
        (Incluído pela Lei nº 12.619, de 2012)
        DA CONDUÇÃO DE VEÍCULOS POR MOTORISTAS PROFISSIONAIS
        Art. 67-A. O disposto neste Capítulo aplica-se aos motoristas profissionais de veículos automotores cuja condução exija formação profissional e que exerçam a profissão nas condições e modalidades de transporte de passageiros e de cargas.
        CAPÍTULO XIII-A
        DA CONDUÇÃO DE MOTO-FRETE
        (Incluído pela Lei nº 12.009, de 2009)
        Art. 139-A. As motocicletas e motonetas destinadas ao transporte remunerado de mercadorias, moto-frete, somente poderão circular nas vias com autorização emitida pelo órgão ou entidade executivo de trânsito dos Estados e do Distrito Federal.
        """
        let chunks = LegalChunker(size: 120, overlap: 10, countTokens: wordCount)
            .chunk(LoadedDocument(path: "ctb.md", format: .markdown, pages: [.init(number: nil, text: text)]))
        #expect(chunks.count == 2)
        #expect(chunks.map { $0.structure.first } == ["Capítulo III-A – Da condução de veículos por motoristas profissionais", "Capítulo XIII-A – Da condução de moto-frete"])
    }

    @Test("an article larger than a chunk is split at its paragraphs, each chunk within the size")
    func splitsLargeArticles() {
        let chunker = LegalChunker(size: 45, overlap: 8, countTokens: wordCount)
        let chunks = chunker.chunk(LoadedDocument(path: "ctb.md", format: .markdown, pages: [.init(number: nil, text: codigoDeTransito)]))
        #expect(chunks.allSatisfy { $0.tokens <= 45 })
        let paragraph2 = chunks.first { $0.text.contains("renovável a cada dez anos") }!
        #expect(paragraph2.structure.last == "§ 2º" || paragraph2.location.contains("§ 2º"))
        // No law is lost: every device's words are in a chunk, except a vetoed one; the headings
        // (document title, chapter) live in the chunks' paths.
        let law = codigoDeTransito.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("CAPÍTULO") && $0 != "DA HABILITAÇÃO" && !$0.contains("VETADO") }
        let words = Set(law.flatMap { $0.split(whereSeparator: \.isWhitespace).map(String.init) })
        let chunked = Set(chunks.flatMap { $0.text.split(whereSeparator: \.isWhitespace).map(String.init) })
        #expect(words.subtracting(chunked).isEmpty)
        #expect(!chunks.contains { $0.text.contains("(VETADO)") })
        #expect(chunks.allSatisfy { $0.location.contains("Capítulo XIV – Da habilitação") || !$0.location.contains("Capítulo") })
    }

    @Test("long unstructured text is split at sentences with overlap between consecutive chunks")
    func overlap() {
        let sentences = (1...40).map { "Esta é a frase número \($0) sobre o processo de renovação." }
        let text = sentences.joined(separator: " ")
        let chunker = LegalChunker(size: 50, overlap: 12, countTokens: wordCount)
        let chunks = chunker.chunk(LoadedDocument(path: "a.txt", format: .text, pages: [.init(number: nil, text: text)]))
        #expect(chunks.count > 3)
        #expect(chunks.allSatisfy { $0.tokens <= 50 })
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            let lastSentence = LegalChunker.sentences(of: previous.text).last!
            #expect(next.text.hasPrefix(lastSentence), "consecutive chunks should share the boundary sentence")
        }
    }

    @Test("a sentence longer than a chunk is split by words")
    func hugeSentence() {
        let text = (1...300).map { "palavra\($0)" }.joined(separator: " ")
        let chunks = LegalChunker(size: 40, overlap: 0, countTokens: wordCount)
            .chunk(LoadedDocument(path: "a.txt", format: .text, pages: [.init(number: nil, text: text)]))
        #expect(chunks.allSatisfy { $0.tokens <= 40 })
        #expect(chunks.map(\.text).joined(separator: " ") == text)
    }

    @Test("pages are recorded, and small neighbouring paragraphs are merged")
    func pages() {
        let document = LoadedDocument(path: "a.pdf", format: .pdf, pages: [
            .init(number: 1, text: "Primeiro parágrafo curto.\n\nSegundo parágrafo curto."),
            .init(number: 2, text: "Terceiro parágrafo na página dois."),
        ])
        let chunks = LegalChunker(size: 100, overlap: 0, countTokens: wordCount).chunk(document)
        #expect(chunks.count == 1)
        #expect(chunks[0].firstPage == 1 && chunks[0].lastPage == 2)
        #expect(chunks[0].location == "p. 1–2")
    }

    @Test("with the real e5 tokenizer no chunk exceeds the size")
    func realTokenizer() throws {
        let model = TestModels.e5
        let count: @Sendable (String) -> Int = { (try? model.tokenize($0, addSpecial: true).count) ?? Int.max }
        let long = String(repeating: codigoDeTransito, count: 3)
        let chunks = LegalChunker(size: 96, overlap: 16, countTokens: count)
            .chunk(LoadedDocument(path: "ctb.md", format: .markdown, pages: [.init(number: nil, text: long)]))
        #expect(chunks.count > 5)
        for chunk in chunks { #expect(count(chunk.text) <= 96) }
    }

    @Test("a device that is only \"(VETADO)\" or \"(Revogado)\" is not a passage; annotations stay in the text")
    func voidDevices() {
        let text = """
            Art. 10. (Revogado pela Lei nº 12.010, de 2009)
            Art. 11. É assegurado atendimento integral à saúde da criança. (Redação dada pela Lei nº 13.257, de 2016)
            § 1º (VETADO).
            § 2º Incumbe ao poder público fornecer medicamentos. (Incluído pela Lei nº 13.257, de 2016)
            III - (revogado);
            IV - (VETADO); e (Incluído pela Lei nº 14.599, de 2023)
            V - (Revogado); ou
            """
        let chunks = LegalChunker(size: 200, overlap: 0, countTokens: wordCount)
            .chunk(LoadedDocument(path: "eca.txt", format: .text, pages: [.init(number: nil, text: text)]))
        let all = chunks.map(\.text).joined(separator: "\n")
        #expect(!all.contains("Art. 10.") && !all.contains("VETADO") && !all.contains("III - (revogado)")
            && !all.contains("IV -") && !all.contains("V - (Revogado)"))
        #expect(all.contains("(Redação dada pela Lei nº 13.257, de 2016)"), "people still see the annotation")
        #expect(LegalAnnotations.strip("Art. 11. É assegurado atendimento. (Redação dada pela Lei nº 13.257, de 2016)") == "Art. 11. É assegurado atendimento.")
        #expect(LegalAnnotations.strip("conforme o art. 5º (inciso II) desta Lei") == "conforme o art. 5º (inciso II) desta Lei")
        #expect(LegalAnnotations.strip("I - qualificação completa;\n(Incluído pela Lei nº 12.010, de 2009)\nVigência")
            .trimmingCharacters(in: .whitespacesAndNewlines) == "I - qualificação completa;")
        #expect(LegalAnnotations.strip("Art. 42. Podem adotar os maiores de 18 anos. (Redação dada pela Lei nº 12.010, de 2009) Vigência")
            == "Art. 42. Podem adotar os maiores de 18 anos.")
        #expect(LegalAnnotations.strip("prazo de vigência da Lei") == "prazo de vigência da Lei")
    }

    @Test("a chunk inside a long article carries the article's caput as context")
    func caputContext() {
        let paragraphs = (1...20).map { "§ \($0)º A garantia número \($0) da pessoa idosa vale sempre." }
        let text = "Art. 3º É obrigação da família assegurar à pessoa idosa com absoluta prioridade.\n" + paragraphs.joined(separator: "\n")
        let chunks = LegalChunker(size: 40, overlap: 0, countTokens: wordCount)
            .chunk(LoadedDocument(path: "idosa.txt", format: .text, pages: [.init(number: nil, text: text)]))
        #expect(chunks.count > 2)
        #expect(chunks[0].context == nil)
        for chunk in chunks.dropFirst() {
            #expect(chunk.context?.hasPrefix("Art. 3º É obrigação da família") == true)
            #expect(chunk.location.hasPrefix("Art. 3º"))
        }
    }

    @Test("neighbouring articles share a chunk only when both are tiny")
    func tinyArticles() {
        let long = String(repeating: "palavra ", count: 30)
        let text = "Art. 1º Curto.\nArt. 2º Também curto.\nArt. 3º \(long)\nArt. 4º \(long)"
        let chunks = LegalChunker(size: 100, overlap: 0, countTokens: wordCount)
            .chunk(LoadedDocument(path: "a.txt", format: .text, pages: [.init(number: nil, text: text)]))
        #expect(chunks.map(\.location) == ["Art. 1º – Art. 2º", "Art. 3º", "Art. 4º"])
    }

    @Test("an act's opening and its annexes keep chunks of their own, however tiny; an annex is not its last article")
    func openingAndAnnexes() {
        let text = """
            RESOLUÇÃO CONTRAN Nº 789, DE 18 DE JUNHO DE 2020
            Consolida normas sobre a formação de condutores.
            CAPÍTULO I
            DISPOSIÇÕES PRELIMINARES
            Art. 1º Esta Resolução consolida normas.
            Art. 30. Esta Resolução entra em vigor na data de sua publicação.
            ANEXO I
            ESTRUTURA CURRICULAR DOS CURSOS
            1.1 Curso teórico-técnico: 45 (quarenta e cinco) horas aula.
            """
        let chunks = LegalChunker(size: 100, overlap: 0, countTokens: wordCount)
            .chunk(LoadedDocument(path: "r.txt", format: .text, pages: [.init(number: nil, text: text)]))
        #expect(chunks.map(\.location) == ["", "Capítulo I – Disposições preliminares › Art. 1º – Art. 30", "Anexo I – Estrutura curricular dos cursos"])
        #expect(chunks[2].text.contains("45 (quarenta e cinco) horas aula"))
    }

    @Test("each row of a spreadsheet is a chunk of its own, under the table's headings; prose paragraphs share chunks")
    func spreadsheetRows() {
        let rows = """
            # Tabela de multas

            ## Infrações graves

            Código: 518-5; Descrição: Deixar de usar o cinto de segurança; Valor (R$): 195,23.

            Código: 746-3; Descrição: Velocidade superior à máxima em mais de 20% até 50%; Valor (R$): 195,23.

            ## Infrações leves

            Código: 681-5; Descrição: Usar buzina entre 22 e 6 horas; Valor (R$): 88,38.
            """
        let chunker = LegalChunker(size: 100, overlap: 0, countTokens: wordCount)
        let table = chunker.chunk(LoadedDocument(path: "multas.csv", format: .csv, pages: [.init(number: nil, text: rows)]))
        #expect(table.map(\.text) == rows.components(separatedBy: "\n\n").filter { $0.hasPrefix("Código") })
        #expect(table.map(\.location) == [
            "Tabela de multas › Infrações graves", "Tabela de multas › Infrações graves", "Tabela de multas › Infrações leves",
        ])
        // The same lines in a text file are paragraphs: packed while they fit.
        let prose = chunker.chunk(LoadedDocument(path: "multas.txt", format: .text, pages: [.init(number: nil, text: rows)]))
        #expect(prose.count == 2)
    }

    @Test("a table row reads as one record; a sentence of law with a ';' or a ':' does not")
    func tableRows() {
        #expect(TableText.isRow("Código: 518-5; Descrição: Deixar de usar o cinto; Valor (R$): 195,23."))
        #expect(TableText.isRow("Serviço: Renovação da CNH; Taxa (R$): 150,00; Prazo: 30 dias; úteis."))
        #expect(TableText.isRow("Cód. Infração: 518-5; Descrição: Deixar de usar o cinto; Valor (R$): 195,23."))
        #expect(!TableText.isRow("Serviço: Renovação da CNH."))
        #expect(!TableText.isRow("I – ser penalmente imputável; II – saber ler e escrever;"))
        #expect(!TableText.isRow("Art. 147. O candidato deverá submeter-se aos seguintes exames: I – de aptidão física; II – escrito."))
    }

    @Test("in a PDF, a reference wrapped onto a new line is not a new paragraph")
    func wrappedReference() {
        let page = "Art. 5º O prazo previsto no\n§ 2º deste artigo conta em dobro.\n§ 1º Outro parágrafo.\nArt. 6º Conforme o\nart. 5º desta Lei."
        let blocks = LegalChunker(size: 100, overlap: 0, countTokens: wordCount)
            .blocks(of: LoadedDocument(path: "a.pdf", format: .pdf, pages: [.init(number: 1, text: page)]))
        #expect(blocks.map { $0.label ?? "" } == ["Art. 5º", "§ 1º", "Art. 6º"])
    }
}

@Suite("Legal chunker: repeated articles")
struct RepeatedArticleTests {
    @Test("an article in two wordings keeps both, each labelled with the act that gave it")
    func medidaProvisoria() {
        let text = """
            Art. 4º O prazo é de 30 dias. (Redação dada pela Medida Provisória nº 1.153, de 2022)
            Parágrafo único. Vale para todos.
            Art. 4º O prazo é de 60 dias. (Redação dada pela Lei nº 14.599, de 2023)
            Art. 5º Outro artigo.
            """
        let chunks = LegalChunker(size: 30, overlap: 0, countTokens: wordCount)
            .chunk(LoadedDocument(path: "ctb.txt", format: .text, pages: [.init(number: nil, text: text)]))
        let locations = chunks.map(\.location)
        #expect(locations == ["Art. 4º (Medida Provisória nº 1.153/2022) – Parágrafo único", "Art. 4º (Lei nº 14.599/2023)", "Art. 5º"])
        #expect(chunks.first { $0.text.contains("30 dias") }?.structure == ["Art. 4º (Medida Provisória nº 1.153/2022)"])
    }
}
