import Foundation

/// HTML reduced to text: scripts and styles dropped, revoked wording (`<strike>`, `<s>`, `<del>`)
/// dropped, block elements on their own lines, headings as Markdown headings (so the chunker sees
/// the structure), data tables as one "Header: value; …" row per paragraph, entities decoded.
enum HTMLText {
    static func render(_ html: String) -> String {
        var text = html
        text = removeRevokedWording(text)
        for tag in ["script", "style", "head", "noscript"] {
            text = text.replacingOccurrences(of: "<\(tag)\\b[^>]*>[\\s\\S]*?</\(tag)\\s*>", with: " ", options: [.regularExpression, .caseInsensitive])
        }
        text = text.replacingOccurrences(of: "<!--[\\s\\S]*?-->", with: " ", options: .regularExpression)
        // Ordinal indicators typed as superscripts: "Art. 1<sup><u>o</u></sup>" is "Art. 1º", and
        // "§ 4\n<u><sup>o</sup></u>" is "§ 4º", not "§ 4 º" (nor "n º" for "nº").
        text = text.replacingOccurrences(
            of: "(?<=[0-9]|\\b[Nn])(?:\\s|<(?!/?sup\\b)[^>]*>)*<sup\\b[^>]*>(?:\\s|<[^>]*>)*[oº°](?:\\s|<[^>]*>)*</sup>", with: "º",
            options: [.regularExpression, .caseInsensitive])
        text = text.replacingOccurrences(of: "<sup\\b[^>]*>(?:\\s|<[^>]*>)*[oº°](?:\\s|<[^>]*>)*</sup>", with: "º", options: [.regularExpression, .caseInsensitive])
        text = text.replacingOccurrences(of: "<sup\\b[^>]*>(?:\\s|<[^>]*>)*[aª](?:\\s|<[^>]*>)*</sup>", with: "ª", options: [.regularExpression, .caseInsensitive])
        // Line breaks in the source are spaces; only elements break lines.
        text = text.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
        text = HTMLTable.renderDataTables(in: text)
        for level in 1...6 {
            text = text.replacingOccurrences(of: "<h\(level)\\b[^>]*>", with: "\n\n" + String(repeating: "#", count: level) + " ", options: [.regularExpression, .caseInsensitive])
        }
        text = text.replacingOccurrences(of: "<(br|/p|/div|/li|/tr|/h[1-6]|/table|/ul|/ol|p|div|li|tr|center|/center|blockquote|/blockquote)\\b[^>]*>", with: "\n", options: [.regularExpression, .caseInsensitive])
        text = text.replacingOccurrences(of: "<(td|th)\\b[^>]*>", with: " ", options: [.regularExpression, .caseInsensitive])
        text = text.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
        text = decodeEntities(text)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "[ \\t\u{00A0}]+", with: " ", options: .regularExpression).trimmingCharacters(in: .whitespaces)
        }
        return lines.joined(separator: "\n").replacingOccurrences(of: "\n{3,}", with: "\n\n", options: .regularExpression)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    nonisolated(unsafe) private static let tag = try! NSRegularExpression(pattern: #"<(/?)([A-Za-z][A-Za-z0-9]*)\b([^>]*)>"#)

    /// `html` without the elements that mark revoked wording: `<strike>`, `<s>`, `<del>`, and any
    /// element styled `text-decoration: line-through` — with everything inside, nested elements
    /// of the same name counted so the whole struck passage goes.
    static func removeRevokedWording(_ html: String) -> String {
        let ns = html as NSString
        var result = ""
        var last = 0  // end of the last removed element
        var open: (name: String, depth: Int, start: Int)?
        for match in tag.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
            let closing = match.range(at: 1).length > 0
            let name = ns.substring(with: match.range(at: 2)).lowercased()
            if var current = open {
                guard name == current.name else { continue }
                current.depth += closing ? -1 : 1
                open = current
                if current.depth == 0 {
                    last = match.range.location + match.range.length
                    open = nil
                }
                continue
            }
            guard !closing else { continue }
            let attributes = ns.substring(with: match.range(at: 3)).lowercased()
            let struck = ["strike", "s", "del"].contains(name)
                || attributes.replacingOccurrences(of: " ", with: "").contains("text-decoration:line-through")
            if struck && !attributes.hasSuffix("/") {
                result += ns.substring(with: NSRange(location: last, length: match.range.location - last)) + " "
                open = (name, 1, match.range.location)
            }
        }
        // An element never closed is kept: better revoked words than a lost law.
        let rest = open.map { ns.substring(from: $0.start) } ?? ns.substring(from: last)
        return result.isEmpty && last == 0 ? html : result + rest
    }

    static func decodeEntities(_ text: String) -> String {
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "ordm": "º", "ordf": "ª",
                     "sect": "§", "ccedil": "ç", "atilde": "ã", "otilde": "õ", "aacute": "á", "eacute": "é", "iacute": "í",
                     "oacute": "ó", "uacute": "ú", "acirc": "â", "ecirc": "ê", "ocirc": "ô", "agrave": "à", "Ccedil": "Ç",
                     "Atilde": "Ã", "Aacute": "Á", "Eacute": "É", "Iacute": "Í", "Oacute": "Ó", "Uacute": "Ú", "ndash": "–",
                     "mdash": "—", "hellip": "…", "percnt": "%", "laquo": "«", "raquo": "»", "ldquo": "“", "rdquo": "”"]
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "&", let end = text[index...].prefix(12).firstIndex(of: ";") {
                let entity = text[text.index(after: index)..<end]
                var replacement: String?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X"), let code = UInt32(entity.dropFirst(2), radix: 16) {
                    replacement = Unicode.Scalar(code).map(String.init)
                } else if entity.hasPrefix("#"), let code = UInt32(entity.dropFirst()) {
                    // Pages made on Windows write Windows-1252 code points as if they were Unicode.
                    replacement = (0x80...0x9F).contains(code) ? TextDecoding.windows1252(UInt8(code)) : Unicode.Scalar(code).map(String.init)
                } else {
                    replacement = named[String(entity)]
                }
                if let replacement {
                    result += replacement
                    index = text.index(after: end)
                    continue
                }
            }
            result.append(text[index])
            index = text.index(after: index)
        }
        return result
    }
}

