@testable import DocumentIngestion
import Foundation
import Testing
import TestSupport

/// Statutes as the federal legislation portal publishes them: revoked wording struck through,
/// editorial annotations inside the law, Windows-1252, tables, and printed to PDF.
@Suite("Legislation as published")
struct PortalLegislationTests {
    @Test("struck-through wording (<strike>, <s>, <del>, line-through) is not text; ordinals and Windows-1252 dashes are")
    func revokedWording() {
        let page = """
            <p><strike>Art. 1<sup><u>o</u></sup> É instituído o Estatuto do Idoso.</strike></p>
            <p>Art. 1º É instituído o Estatuto da Pessoa Idosa. (Redação dada pela Lei nº 14.423, de 2022)</p>
            <p><span style="color: black; text-decoration: line-through">I - quando de interesse do <b>poder público</b>;</span></p>
            <p>I &#150; atendimento <s>antigo</s> preferencial; <del>velho</del></p>
            <p><strike>§ 2<sup>o</sup> antigo <strike>aninhado</strike> ainda antigo</strike> Art. 2<sup>o</sup> Novo.</p>
            """
        let text = HTMLText.render(page)
        #expect(!text.contains("Estatuto do Idoso") && !text.contains("interesse") && !text.contains("antigo") && !text.contains("velho"))
        #expect(text.contains("Art. 1º É instituído o Estatuto da Pessoa Idosa."))
        #expect(text.contains("I – atendimento preferencial;"))
        #expect(text.contains("Art. 2º Novo."))
    }

    @Test("a data table becomes one row per paragraph, each value with its column")
    func tables() {
        let page = """
            <table><tr><th>Infração</th><th>Penalidade</th><th>Pontos</th></tr>
            <tr><td>Dirigir sem CNH</td><td>multa (três vezes)</td><td>7</td></tr>
            <tr><td>Avançar o sinal vermelho</td><td>multa</td><td>7</td></tr></table>
            """
        let text = HTMLText.render(page)
        #expect(text.contains("Infração: Dirigir sem CNH; Penalidade: multa (três vezes); Pontos: 7."))
        #expect(text.contains("Infração: Avançar o sinal vermelho; Penalidade: multa; Pontos: 7."))
    }

    @Test("a table's title row (one cell across the columns) is a heading, not its header")
    func tableTitleRow() {
        let page = """
            <p>Art. 258. As infrações punidas com multa classificam-se em:</p>
            <table><tr><td colspan="3">TABELA DE VALORES</td></tr>
            <tr><th>Natureza</th><th>Valor (R$)</th><th>Pontos</th></tr>
            <tr><td>Gravíssima</td><td>293,47</td><td>7</td></tr>
            <tr><td>Leve</td><td>88,38</td><td>3</td></tr></table>
            """
        let text = HTMLText.render(page)
        #expect(text.contains("##### TABELA DE VALORES\n\nNatureza: Gravíssima; Valor (R$): 293,47; Pontos: 7.\n\nNatureza: Leve; Valor (R$): 88,38; Pontos: 3."), "\(text)")
        // A letterhead wrapped in a table stays text.
        #expect(HTMLText.render("<table><tr><td>Presidência da República</td></tr><tr><td>Casa Civil</td></tr></table>") == "Presidência da República\n\nCasa Civil")
    }

    @Test("an act's opening names it: kind, number, year and the name its ementa gives", arguments: [
        (["Presidência da República", "LEI Nº 8.069, DE 13 DE JULHO DE 1990.", "Dispõe sobre o Estatuto da Criança e do Adolescente e dá outras providências."],
         "Lei nº 8.069/1990 (Estatuto da Criança e do Adolescente)"),
        (["LEI No 9.503, DE 23 DE SETEMBRO DE 1997.", "Institui o Código de Trânsito Brasileiro."], "Lei nº 9.503/1997 (Código de Trânsito Brasileiro)"),
        (["RESOLUÇÃO CONTRAN Nº 789, DE 18 DE JUNHO DE 2020", "Consolida normas sobre o processo de formação de condutores."],
         "Resolução CONTRAN nº 789/2020"),
    ])
    func statuteTitles(lines: [String], title: String) {
        #expect(StatuteTitle.find(in: lines) == title)
    }

    @Test("printed pages lose their header and footer; an article broken across pages is one block")
    func pageFurniture() {
        let pages = (1...4).map { number in
            LoadedDocument.Page(number: number, text: """
                11/25/26, 9:49 PM
                L10741
                \(number == 2 ? "Art. 9º O texto do artigo continua na página" : "Art. \(number + 10). Texto da página \(number).")
                file:///leis/l10741.htm
                \(number)/4
                """)
        } + [LoadedDocument.Page(number: 5, text: "11/25/26, 9:49 PM\nL10741\nseguinte sem interrupção.\nfile:///leis/l10741.htm\n5/4")]
        let cleaned = PageFurniture.remove(from: pages)
        #expect(cleaned.allSatisfy { !$0.text.contains("PM") && !$0.text.contains("file://") && !$0.text.contains("/4") && !$0.text.contains("L10741") })
        #expect(cleaned[1].text == "Art. 9º O texto do artigo continua na página")
    }

    static let statutes: [(URL, String)] = [
        (EvalDevData.eca, "Lei nº 8.069/1990 (Estatuto da Criança e do Adolescente)"),
        (EvalDevData.idosa, "Lei nº 10.741/2003 (Estatuto da Pessoa Idosa)"),
    ]

    @Test("the two portal statutes: no struck-through wording in any chunk, annotations only in the shown text, titled",
          .enabled(if: EvalDevData.available, "needs ../shared/eval-dev"), arguments: [0, 1])
    func portalStatutes(index: Int) throws {
        let (url, title) = Self.statutes[index]
        let document = try DocumentLoader.load(url, path: url.lastPathComponent)
        #expect(document.title == title)
        let chunks = LegalChunker(size: 300, overlap: 50, countTokens: wordCount).chunk(document)
        let indexed = Self.flat(chunks.map(\.text).joined(separator: " "))
        // Struck passages, found independently of the renderer, that are not also current wording.
        let html = TextDecoding.decode(try Data(contentsOf: url)).text
        let struckPattern = #"<(strike|s|del)\b[^>]*>([\s\S]*?)</\1>|<span[^>]*line-through[^>]*>([\s\S]*?)</span>"#
        let current = Self.flat(Self.plain(html.replacingOccurrences(of: struckPattern, with: " ", options: [.regularExpression, .caseInsensitive])))
        let regex = try NSRegularExpression(pattern: struckPattern, options: [.caseInsensitive])
        let ns = html as NSString
        var checked = 0
        for match in regex.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
            let group = match.range(at: 2).location != NSNotFound ? 2 : 3
            guard match.range(at: group).location != NSNotFound else { continue }
            let passage = Self.flat(Self.plain(ns.substring(with: match.range(at: group))))
            guard passage.split(separator: " ").count >= 12, !current.contains(passage) else { continue }
            checked += 1
            #expect(!indexed.contains(passage), "revoked wording indexed: \(passage.prefix(120))")
        }
        #expect(checked > 20, "the statute should have revoked passages to check")
        // Every chunk knows its article; no device is only "(VETADO)".
        #expect(chunks.filter { $0.location.contains("Art.") }.count > chunks.count * 9 / 10)
        #expect(!chunks.contains { LegalAnnotations.isVoid($0.text, label: $0.structure.last) })
    }

    @Test("the printed PDF of a statute gives the same articles as its HTML",
          .enabled(if: EvalDevData.available && FileManager.default.fileExists(atPath: "/usr/bin/chromium"), "needs ../shared/eval-dev and chromium"))
    func printedPDF() throws {
        let html = try DocumentLoader.load(EvalDevData.idosa, path: "idosa.htm")
        let pdf = try DocumentLoader.load(try EvalDevData.printedPDF(of: EvalDevData.idosa), path: "idosa.pdf")
        #expect(pdf.title == html.title)
        let chunker = LegalChunker(size: 300, overlap: 50, countTokens: wordCount)
        // The wording struck through on the page is not read from the print either: each article
        // comes once, as in force, not beside its revoked wording ("Art. 2º (Lei nº 14.423/2022)").
        func articles(_ document: LoadedDocument) -> [String] {
            var seen: [String] = []
            for block in chunker.blocks(of: document) {
                if let article = block.path.first(where: { $0.hasPrefix("Art.") }), seen.last != article { seen.append(article) }
            }
            return seen
        }
        let fromHTML = articles(html), fromPDF = articles(pdf)
        #expect(fromHTML.count > 100)
        #expect(fromHTML == fromPDF, "only in HTML: \(Set(fromHTML).subtracting(fromPDF).sorted()); only in PDF: \(Set(fromPDF).subtracting(fromHTML).sorted())")
        // No page furniture survives in the text.
        let text = pdf.pages.map(\.text).joined(separator: "\n")
        #expect(!text.contains("file://") && text.range(of: #"(?m)^\d+/\d+$"#, options: .regularExpression) == nil)
    }

    /// HTML without tags and entities, whitespace collapsed.
    static func plain(_ html: String) -> String {
        HTMLText.decodeEntities(html.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression))
    }

    static func flat(_ text: String) -> String {
        text.replacingOccurrences(of: "[\\s\u{00A0}]+", with: " ", options: .regularExpression).trimmingCharacters(in: .whitespaces)
    }
}
