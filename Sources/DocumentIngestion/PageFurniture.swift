import Foundation

/// Removes what a printer adds to every page — the browser's date and title line, the address
/// and the "12/111" counter, a letterhead — so that an article broken across two pages reads as
/// one text. A line is furniture when it sits among the first or last lines of a page and the
/// same line, digits aside, does so on at least half of the pages (three at least).
enum PageFurniture {
    /// Lines at each end of a page where headers and footers are looked for.
    static let margin = 4

    static func remove(from pages: [LoadedDocument.Page]) -> [LoadedDocument.Page] {
        guard pages.count >= 3 else { return pages }
        let lines = pages.map { $0.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        var counts: [String: Int] = [:]
        for page in lines {
            Set(edgeIndices(of: page).map { shape(of: page[$0]) }).forEach { counts[$0, default: 0] += 1 }
        }
        let threshold = max(3, (pages.count + 1) / 2)
        let furniture = Set(counts.filter { $0.value >= threshold && !$0.key.isEmpty }.keys)
        guard !furniture.isEmpty else { return pages }
        return zip(pages, lines).map { page, lines in
            let drop = Set(edgeIndices(of: lines).filter { furniture.contains(shape(of: lines[$0])) })
            let kept = lines.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
            return LoadedDocument.Page(number: page.number, text: kept.joined(separator: "\n"))
        }
    }

    /// Indices of the first and last `margin` non-empty lines of a page.
    private static func edgeIndices(of lines: [String]) -> [Int] {
        let filled = lines.indices.filter { !lines[$0].trimmingCharacters(in: .whitespaces).isEmpty }
        return Array(Set(filled.prefix(margin) + filled.suffix(margin))).sorted()
    }

    /// A line with its digits masked and spaces collapsed: "12/111" and "13/111" look alike.
    static func shape(of line: String) -> String {
        let masked = line.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "[0-9]+", with: "#", options: .regularExpression)
        return masked.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
    }
}
