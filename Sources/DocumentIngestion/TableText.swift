import Foundation

/// A table's rows (a CSV file, an HTML data table) as lines a reader and the chunker understand:
/// each row one paragraph with every value named by its column — "Infração: Dirigir sem CNH;
/// Valor (R$): 880,41." — so that a row read alone still says what its numbers are.
///
/// Spreadsheets as published carry lines that are not rows: title lines above the header
/// ("MINISTÉRIO DOS TRANSPORTES", "Tabela de multas – 2016"), which become the table's heading, and
/// lines of one value inside the table ("INFRAÇÕES GRAVÍSSIMAS", "Fonte: DENATRAN"), which head
/// the rows below them. Headings give every row of a chunk its context, as sections do in a text.
public enum TableText {
    enum Line: Equatable {
        /// Level 1: the table's title; level 2: a group of rows.
        case heading(level: Int, String)
        case row(String)
    }

    /// The header is the first row filling at least two cells and half the widest row's; nil
    /// when no row does (a one-column list, a layout table).
    static func headerIndex(of rows: [[String]]) -> Int? {
        let filled = rows.map { $0.count { !$0.isEmpty } }
        let widest = filled.max() ?? 0
        return filled.firstIndex { $0 >= max(2, (widest + 1) / 2) }
    }

    /// Whether `line` reads as a row written by `lines(of:header:)`: two or more "Column: value"
    /// fields joined by "; ", at least two in three named ("Cód. Infração: 518-5"; a value may
    /// hold a "; " of its own). A row is one record: whoever quotes it quotes all of it, never a
    /// sentence cut at a "; ".
    public static func isRow(_ line: some StringProtocol) -> Bool {
        let fields = line.split(separator: "; ", omittingEmptySubsequences: false)
        guard fields.count >= 2 else { return false }
        let named = fields.count { field in
            guard let colon = field.range(of: ": ") else { return false }
            let name = field[..<colon.lowerBound]
            return !name.isEmpty && name.split(separator: " ").count <= 8
        }
        return named * 3 >= fields.count * 2
    }

    /// The values of a row, without their column names: what the record says, not what every
    /// record of its table says.
    public static func values(of row: some StringProtocol) -> String {
        fields(of: row).map { $0.value }.joined(separator: "; ")
    }

    /// The column names of a row, in order: what every record of its table says.
    public static func names(of row: some StringProtocol) -> [String] {
        fields(of: row).compactMap { $0.name.map { String($0) } }
    }

    /// A row's "Name: value" fields (a field without a name is a value alone).
    static func fields<Row: StringProtocol>(of row: Row) -> [(name: Row.SubSequence?, value: Row.SubSequence)] {
        row.split(separator: "; ").map { field in
            guard let colon = field.range(of: ": ") else { return (nil, field) }
            return (field[..<colon.lowerBound], field[colon.upperBound...])
        }
    }

    /// `rows` (cells trimmed; empty rows already left out) read under the header at `header`.
    static func lines(of rows: [[String]], header: Int) -> [Line] {
        let names = rows[header]
        let title = rows[..<header].map { $0.filter { !$0.isEmpty }.joined(separator: " ") }.joined(separator: " – ")
        var lines: [Line] = title.isEmpty ? [] : [.heading(level: 1, title)]
        for values in rows[(header + 1)...] {
            let filled = values.filter { !$0.isEmpty }
            if filled.count == 1 && names.count { !$0.isEmpty } >= 3 && !(values.first ?? "").isEmpty {
                lines.append(.heading(level: 2, filled[0]))
                continue
            }
            let padded = names + Array(repeating: "", count: max(0, values.count - names.count))
            let fields = zip(padded, values).compactMap { name, value in
                value.isEmpty ? nil : (name.isEmpty ? value : "\(name): \(value)")
            }
            lines.append(.row(fields.joined(separator: "; ") + "."))
        }
        return lines
    }
}
