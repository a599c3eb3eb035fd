@testable import DocumentIngestion
import Foundation
import Testing
import ZIPFoundation

/// Files written into a fresh temporary folder per test.
struct Scratch {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guiche-docs-\(UUID())")

    init() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ data: Data) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    func load(_ name: String, _ data: Data) throws -> LoadedDocument {
        try DocumentLoader.load(try write(name, data), path: name)
    }
}

@Suite("Document loaders")
struct DocumentLoaderTests {
    @Test("Windows-1252 text is detected and decoded; UTF-8 with BOM too")
    func encodings() throws {
        let scratch = try Scratch()
        let latin = Data([0x52, 0x65, 0x6E, 0x6F, 0x76, 0x61, 0xE7, 0xE3, 0x6F, 0x20, 0x93, 0x43, 0x4E, 0x48, 0x94, 0x20, 0x96, 0x20, 0xA7, 0x20, 0x32, 0xBA])
        #expect(try scratch.load("latin.txt", latin).pages[0].text == "Renovação “CNH” – § 2º")
        let bom = Data([0xEF, 0xBB, 0xBF]) + Data("Atenção\r\nlinha 2".utf8)
        #expect(try scratch.load("bom.md", bom).pages[0].text == "Atenção\nlinha 2")
    }

    @Test("CSV rows become sentences with their header names; quotes and ';' delimiters")
    func csv() throws {
        let scratch = try Scratch()
        let text = "Serviço;Taxa (R$);Prazo\nRenovação da CNH;150,00;\"30 dias; úteis\"\n\"Segunda via \"\"urgente\"\"\";80,00;5 dias\n"
        let document = try scratch.load("taxas.csv", Data(text.utf8))
        #expect(document.pages[0].text == "Serviço: Renovação da CNH; Taxa (R$): 150,00; Prazo: 30 dias; úteis.\n\nServiço: Segunda via \"urgente\"; Taxa (R$): 80,00; Prazo: 5 dias.")
    }

    @Test("a spreadsheet as published: title lines above the header become its heading, one-value lines head their rows")
    func csvAsPublished() throws {
        let scratch = try Scratch()
        let text = """
            MINISTÉRIO DOS TRANSPORTES;;;\r
            Tabela de multas, atualizada em 2016;;;\r
            ;;;\r
            Código;Descrição;Gravidade;Valor (R$)\r
            INFRAÇÕES GRAVÍSSIMAS;;;\r
            501-0;Dirigir sem possuir CNH, PPD ou ACC;Gravíssima (3X);880,41\r
            516-9;Dirigir sob a influência de álcool;Gravíssima (10X);2.934,70\r
            INFRAÇÕES GRAVES;;;\r
            518-5;Deixar de usar o cinto de segurança;Grave;195,23\r

            """
        let document = try scratch.load("multas.csv", Data(text.utf8))
        #expect(document.pages[0].text == """
            # MINISTÉRIO DOS TRANSPORTES – Tabela de multas, atualizada em 2016

            ## INFRAÇÕES GRAVÍSSIMAS

            Código: 501-0; Descrição: Dirigir sem possuir CNH, PPD ou ACC; Gravidade: Gravíssima (3X); Valor (R$): 880,41.

            Código: 516-9; Descrição: Dirigir sob a influência de álcool; Gravidade: Gravíssima (10X); Valor (R$): 2.934,70.

            ## INFRAÇÕES GRAVES

            Código: 518-5; Descrição: Deixar de usar o cinto de segurança; Gravidade: Grave; Valor (R$): 195,23.
            """)
        // Commas inside values and a title line without delimiters do not fool the delimiter.
        #expect(CSVText.delimiter(of: "Tabela, 2016\nA;B\n1,5;2,50\n3;4,25,1\n") == ";")
        #expect(CSVText.delimiter(of: "Serviço,Taxa\nRenovação,\"135,50\"\nSegunda via,98\n") == ",")
    }

    @Test("JSON is flattened to readable text; an exported chat transcript gives one paragraph per message")
    func json() throws {
        let scratch = try Scratch()
        let transcript = #"[{"autor": "cidadão", "mensagem": "Como renovo a CNH?"}, {"autor": "atendente", "mensagem": "Agende pelo portal.", "anexos": ["guia.pdf"], "lida": true}]"#
        #expect(try scratch.load("chat.json", Data(transcript.utf8)).pages[0].text ==
            "autor: cidadão\nmensagem: Como renovo a CNH?\n\nanexos: guia.pdf\nautor: atendente\nlida: sim\nmensagem: Agende pelo portal.")
        let nested = #"{"orgao": {"nome": "DETRAN", "telefone": null}, "servicos": [{"nome": "Renovação", "taxa": 150.5}]}"#
        #expect(try scratch.load("o.json", Data(nested.utf8)).pages[0].text ==
            "orgao.nome: DETRAN\norgao.telefone: —\n\nservicos.nome: Renovação\nservicos.taxa: 150.5")
        #expect(throws: LoadError.self) { try scratch.load("bad.json", Data("{nope".utf8)) }
    }

    @Test("HTML keeps text and headings, drops scripts, decodes entities")
    func html() throws {
        let scratch = try Scratch()
        let page = "<html><head><title>x</title><script>var a=1;</script></head><body><h2>Renova&ccedil;&atilde;o</h2><p>Taxa de R&#36; 150&nbsp;&mdash; <b>pague</b> antes.</p><ul><li>Item&nbsp;1</li><li>Item 2</li></ul></body></html>"
        let text = try scratch.load("p.html", Data(page.utf8)).pages[0].text
        #expect(text == "## Renovação\n\nTaxa de R$ 150 — pague antes.\n\nItem 1\n\nItem 2", "\(text.debugDescription)")
    }

    @Test("PDF text comes per page, with page numbers")
    func pdf() throws {
        let scratch = try Scratch()
        let document = try scratch.load("lei.pdf", MinimalPDF.make(pages: [["Art. 1º Esta Resolução dispõe sobre", "a renovação da habilitação."], ["§ 2º O exame será renovável."]]))
        #expect(document.pages.count == 2)
        #expect(document.pages.map(\.number) == [1, 2])
        #expect(document.pages[0].text.contains("Art. 1º Esta Resolução dispõe sobre"))
        #expect(document.pages[1].text.contains("§ 2º O exame será renovável."))
    }

    @Test("a PDF's struck-through words are not text; underlined ones are")
    func struckThroughPDF() throws {
        let scratch = try Scratch()
        let document = try scratch.load("lei.pdf", MinimalPDF.make(pages: [[
            "~~§ 2º O exame será renovável a cada cinco anos.",
            "§ 2º O exame será renovável a cada dez anos.",
            "__(Redação dada pela Lei nº 14.071, de 2020)",
            "I - ~~pelo órgão executivo;~~ pelo médico perito;",
        ]]))
        let text = document.pages[0].text
        #expect(!text.contains("cinco") && !text.contains("órgão"), "\(text)")
        #expect(text.contains("§ 2º O exame será renovável a cada dez anos."))
        #expect(text.contains("(Redação dada pela Lei nº 14.071, de 2020)"))
        #expect(text.contains("I - pelo médico perito;"), "\(text)")
    }

    @Test("a band through a word's middle strikes it; one at its bottom underlines it")
    func strikeGeometry() {
        let word = PDFLayout.Word(text: "cinco", box: .init(xMin: 100, yMin: 180, xMax: 130, yMax: 191))
        let through = PDFLayout.Box(xMin: 90, yMin: 185.25, xMax: 300, yMax: 186)
        let under = PDFLayout.Box(xMin: 90, yMin: 189.5, xMax: 300, yMax: 190.25)
        let beside = PDFLayout.Box(xMin: 140, yMin: 185.25, xMax: 300, yMax: 186)
        #expect(PDFLayout.isStruck(word, by: [through]))
        #expect(!PDFLayout.isStruck(word, by: [under]) && !PDFLayout.isStruck(word, by: [beside]))
        // Filled rectangles and thin strokes are bands; glyph curves and thick boxes are not.
        #expect(PDFLayout.band(in: #"<path style="fill:rgb(0%,0%,0%);" d="M 90 185.25 L 300 185.25 L 300 186 L 90 186 Z M 90 185.25 "/>"#, thickness: 2) == through)
        #expect(PDFLayout.band(in: #"<path style="fill:none;stroke-width:0.5;stroke:rgb(0%,0%,0%);" d="M 90 100 L 300 100 "/>"#, thickness: 2)
            == .init(xMin: 90, yMin: 99.75, xMax: 300, yMax: 100.25))
        #expect(PDFLayout.band(in: #"<path d="M 90 100 C 91 101 92 102 93 100 Z"/>"#, thickness: 2) == nil)
        #expect(PDFLayout.band(in: #"<path d="M 90 100 L 300 100 L 300 140 L 90 140 Z"/>"#, thickness: 2) == nil)
    }

    @Test("a corrupt PDF is an error with a reason, not a crash")
    func corruptPDF() throws {
        let scratch = try Scratch()
        #expect(throws: LoadError.self) { try scratch.load("quebrado.pdf", Data("%PDF-1.4 garbage".utf8)) }
        let url = try scratch.write("quebrado2.pdf", Data("%PDF-1.4 garbage".utf8))
        let error = #expect(throws: LoadError.self) { try DocumentLoader.load(url, path: "docs/quebrado2.pdf") }
        #expect(error?.path == "docs/quebrado2.pdf")
        #expect(error?.reason.contains("PDF") == true)
    }

    @Test("DOCX paragraphs, headings and tables are read")
    func docx() throws {
        let scratch = try Scratch()
        let xml = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
        <w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Manual da Autoescola</w:t></w:r></w:p>
        <w:p><w:r><w:t xml:space="preserve">As aulas práticas </w:t></w:r><w:r><w:t>são obrigatórias.</w:t></w:r></w:p>
        <w:tbl><w:tr><w:tc><w:p><w:r><w:t>Categoria</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Horas</w:t></w:r></w:p></w:tc></w:tr>
        <w:tr><w:tc><w:p><w:r><w:t>B</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>20</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
        </w:body></w:document>
        """
        let archive = try Archive(data: Data(), accessMode: .create)
        let bytes = Data(xml.utf8)
        try archive.addEntry(with: "word/document.xml", type: .file, uncompressedSize: Int64(bytes.count), provider: { position, size in
            bytes.subdata(in: Int(position)..<Int(position) + size)
        })
        let document = try scratch.load("manual.docx", archive.data!)
        #expect(document.pages[0].text == "# Manual da Autoescola\n\nAs aulas práticas são obrigatórias.\n\nCategoria | Horas\n\nB | 20")
        #expect(document.title == "Manual da Autoescola")
        #expect(throws: LoadError.self) { try scratch.load("falso.docx", Data("not a zip".utf8)) }
    }

    @Test("unsupported and empty files are reported")
    func unsupported() throws {
        let scratch = try Scratch()
        #expect(throws: LoadError.self) { try scratch.load("foto.jpg", Data([0xFF, 0xD8])) }
        #expect(throws: LoadError.self) { try scratch.load("vazio.txt", Data()) }
    }
}

/// Writes small real PDFs (Courier, WinAnsi) for tests and sample data. Text between "~~"
/// marks (or after one at the start of a line) is drawn struck through, a line starting with "__"
/// underlined, as a browser prints them.
enum MinimalPDF {
    static func make(pages: [[String]]) -> Data {
        var objects: [String] = []
        let pageIDs = pages.indices.map { 4 + $0 * 2 }
        objects.append("<< /Type /Catalog /Pages 2 0 R >>")
        objects.append("<< /Type /Pages /Kids [\(pageIDs.map { "\($0) 0 R" }.joined(separator: " "))] /Count \(pages.count) >>")
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")
        var streams: [Data] = []
        for lines in pages {
            var content = "BT /F1 12 Tf 14 TL 50 790 Td\n"
            var bands = ""
            for (index, line) in lines.enumerated() {
                let baseline = 790 - 14 * index
                var text = line
                if text.hasPrefix("__") {
                    text.removeFirst(2)
                    bands += "50 \(baseline - 2) \(Double(text.count) * 7.2) 0.75 re f\n"
                }
                // Pieces alternate plain and struck (Courier: 7.2 points per character).
                var x = 50.0
                for (piece, part) in text.components(separatedBy: "~~").enumerated() {
                    if piece % 2 == 1 { bands += "\(x) \(baseline + 3) \(Double(part.count) * 7.2) 0.75 re f\n" }
                    x += Double(part.count) * 7.2
                }
                let escaped = text.replacingOccurrences(of: "~~", with: "").replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "(", with: "\\(").replacingOccurrences(of: ")", with: "\\)")
                content += "(\(escaped)) Tj T*\n"
            }
            content += "ET\n" + bands
            streams.append(content.data(using: .windowsCP1252)!)
        }
        var body = Data("%PDF-1.4\n".utf8)
        var offsets: [Int] = []
        func add(_ object: Data) {
            offsets.append(body.count)
            body += Data("\(offsets.count) 0 obj\n".utf8) + object + Data("\nendobj\n".utf8)
        }
        objects.forEach { add(Data($0.utf8)) }
        for (index, stream) in streams.enumerated() {
            add(Data("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents \(pageIDs[index] + 1) 0 R >>".utf8))
            add(Data("<< /Length \(stream.count) >>\nstream\n".utf8) + stream + Data("\nendstream".utf8))
        }
        let xref = body.count
        var table = "xref\n0 \(offsets.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { table += String(format: "%010d 00000 n \n", offset) }
        body += Data((table + "trailer\n<< /Size \(offsets.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n").utf8)
        return body
    }
}
