import Foundation

/// Data tables in HTML (a fee schedule, a table of infractions) become one paragraph per row,
/// each value named by its column — "Infração: Dirigir sem CNH; Penalidade: multa." — the way CSV
/// files are rendered, so that a row read alone still says what its numbers are. Layout tables
/// (a page's letterhead, a body wrapped in a table) are left for the general HTML rendering.
enum HTMLTable {
    nonisolated(unsafe) private static let innermostTable = try! NSRegularExpression(
        pattern: #"<table\b[^>]*>((?:(?!<table\b)[\s\S])*?)</table\s*>"#, options: [.caseInsensitive])
    nonisolated(unsafe) private static let row = try! NSRegularExpression(
        pattern: #"<tr\b[^>]*>([\s\S]*?)(?=<tr\b|</tr\s*>|$)"#, options: [.caseInsensitive])
    nonisolated(unsafe) private static let cell = try! NSRegularExpression(
        pattern: #"<t[dh]\b[^>]*>([\s\S]*?)(?=<t[dh]\b|</t[dh]\s*>|$)"#, options: [.caseInsensitive])

    /// `html` with every data table replaced by its rows as paragraphs (already plain text).
    static func renderDataTables(in html: String) -> String {
        let ns = html as NSString
        var result = ""
        var last = 0
        for match in innermostTable.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
            guard let rendered = render(rows: rows(of: ns.substring(with: match.range(at: 1)))) else { continue }
            result += ns.substring(with: NSRange(location: last, length: match.range.location - last))
            result += rendered
            last = match.range.location + match.range.length
        }
        return last == 0 ? html : result + ns.substring(from: last)
    }

    /// The cells of each row, as plain text.
    static func rows(of body: String) -> [[String]] {
        let ns = body as NSString
        return row.matches(in: body, range: NSRange(location: 0, length: ns.length)).map { rowMatch in
            let rowHTML = ns.substring(with: rowMatch.range(at: 1))
            let rowNS = rowHTML as NSString
            return cell.matches(in: rowHTML, range: NSRange(location: 0, length: rowNS.length)).map {
                let text = rowNS.substring(with: $0.range(at: 1)).replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
                return HTMLText.decodeEntities(text).replacingOccurrences(of: "[\\s\u{00A0}]+", with: " ", options: .regularExpression)
                    .trimmingCharacters(in: .whitespaces)
            }
        }.filter { $0.contains { !$0.isEmpty } }
    }

    /// Rows as "Header: value; …" paragraphs, title rows as headings nested under the page's own
    /// (see `TableText`); nil for a layout table (no header row, no row under it, or cells
    /// holding whole passages).
    static func render(rows: [[String]]) -> String? {
        guard let header = TableText.headerIndex(of: rows), rows.count > header + 1 else { return nil }
        let cells = rows.flatMap { $0 }
        guard cells.map(\.count).max() ?? 0 <= 400, cells.map(\.count).reduce(0, +) / max(1, cells.count) <= 160 else { return nil }
        return TableText.lines(of: rows, header: header).map { line in
            switch line {
            case .heading(let level, let text): "<h\(level + 4)>\(text)</h\(level + 4)>"
            case .row(let text): "<p>\(text)</p>"
            }
        }.joined()
    }
}
