import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Word documents: the paragraphs of `word/document.xml`, headings (styles Heading1…/Título1…)
/// as Markdown headings, table cells separated by " | ".
enum DOCXText {
    static func render(_ url: URL) throws -> String {
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw ContentError("not a valid .docx (zip) file")
        }
        guard let entry = archive["word/document.xml"] else { throw ContentError("no word/document.xml inside the .docx") }
        var xml = Data()
        _ = try archive.extract(entry) { xml.append($0) }
        let reader = DocumentXMLReader()
        let parser = XMLParser(data: xml)
        parser.delegate = reader
        guard parser.parse() else {
            throw ContentError("malformed word/document.xml: \(parser.parserError?.localizedDescription ?? "parse error")")
        }
        return reader.paragraphs.joined(separator: "\n\n")
    }
}

private final class DocumentXMLReader: NSObject, XMLParserDelegate {
    var paragraphs: [String] = []
    private var current = ""
    private var headingLevel: Int?
    private var inText = false
    private var cells: [String]?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        switch name {
        case "w:p": current = ""; headingLevel = nil
        case "w:t": inText = true
        case "w:tab": current += " "
        case "w:br": current += "\n"
        case "w:tr": cells = []
        case "w:pStyle":
            let style = (attributes["w:val"] ?? "").lowercased()
            if let digit = style.last?.wholeNumberValue, style.hasPrefix("heading") || style.hasPrefix("titulo") || style.hasPrefix("título") {
                headingLevel = min(max(digit, 1), 6)
            } else if style == "title" {
                headingLevel = 1
            }
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "w:t": inText = false
        case "w:p":
            let text = current.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return }
            if cells != nil {
                cells!.append(text)
            } else if let level = headingLevel {
                paragraphs.append(String(repeating: "#", count: level) + " " + text)
            } else {
                paragraphs.append(text)
            }
        case "w:tr":
            if let row = cells, !row.isEmpty { paragraphs.append(row.joined(separator: " | ")) }
            cells = nil
        default: break
        }
    }
}
