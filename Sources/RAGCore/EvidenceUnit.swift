import DocumentIngestion
import Foundation

/// One quotable piece of a retrieved source — a legal device (caput, §, inciso, alínea) or,
/// outside legislation, a sentence or a table row — with the citation that names it
/// ("Lei nº 8.069/1990, art. 46, § 3º").
public struct EvidenceUnit: Sendable, Equatable, Codable {
    /// The unit's words as the law states them, the portal's annotations left out.
    public var text: String
    public var citation: String
    /// The source (in retrieval's order) the unit comes from.
    public var source: Int
    /// The unit that introduces this one (the caput or § above an inciso, the inciso above an
    /// alínea), by position in the same source's units; nil for a caput, a §, a sentence.
    public var parent: Int?
    /// Depth of the device: 10 article (caput), 11 §, 12 inciso, 13 alínea, 0 other text.
    public var level: Int
    /// The list the unit is an item of (incisos of one caput, alíneas of one inciso, the items of
    /// one numbered or bulleted list), named by a position in the source's units; nil otherwise.
    public var list: Int?

    public init(text: String, citation: String, source: Int, parent: Int? = nil, level: Int = 0, list: Int? = nil) {
        self.text = text
        self.citation = citation
        self.source = source
        self.parent = parent
        self.level = level
        self.list = list
    }
}

extension EvidenceUnit {
    /// "citation: text", as the unit is given to the model and checked against.
    public var cited: String { "\(citation): \(text)" }

    /// The units of `source`, in its order: one per legal device; outside legislation one per line
    /// (a table row, a list item), long lines split into sentences.
    public static func units(of source: RetrievedSource, index: Int) -> [EvidenceUnit] {
        unitsAndOpenings(of: source, index: index).units
    }

    /// The units of `source` (see `units(of:index:)`) and the positions of those that are only the
    /// openings of the devices introducing the passage (`Chunk.context`), not its own text: they
    /// give its items their parents and citations, but their own lists are in another passage —
    /// "Art. 259 … pontos:" read before "§ 4º … III –" does not bring the points it introduces. An
    /// opening the passage's sanction lines belong to ("Art. 252. Dirigir o veículo:" before
    /// "… VI – …; Infração – média") states something of the passage and is no mere opening.
    static func unitsAndOpenings(of source: RetrievedSource, index: Int) -> (units: [EvidenceUnit], openings: Set<Int>) {
        let statute = statuteName(source.documentTitle)
        let components = source.location.components(separatedBy: " › ")
        var article = components.last { $0.hasPrefix("Art") }.map { articleLabel(in: $0) }
        var section = components.last { !$0.hasPrefix("Art") && !$0.isEmpty }
        var paragraph: String?, inciso: String?, alinea: String?, item: String?
        var units: [EvidenceUnit] = []
        var lastAtLevel: [Int: Int] = [:]
        var listStart: Int?

        func citation() -> String {
            guard let article else {
                // The document's title is often its first heading too (shortened in the location).
                guard let section, !source.documentTitle.hasPrefix(section) else { return source.documentTitle }
                return "\(source.documentTitle) — \(section)"
            }
            var parts = [statute, article.replacingOccurrences(of: "Art.", with: "art.")]
            if let paragraph { parts.append(paragraph == "Parágrafo único" ? "parágrafo único" : paragraph) }
            if let inciso { parts.append(inciso) }
            if let alinea { parts.append(alinea) }
            if let item { parts.append(item) }
            return parts.joined(separator: ", ")
        }

        func parent(for level: Int) -> Int? {
            guard level >= 12 else { return nil }
            return (10..<level).reversed().compactMap { lastAtLevel[$0] }.first
        }

        // A passage that starts inside an article with an inciso or alínea is read after the openings
        // of the devices that introduce it (the caput, the §: `Chunk.context`), so that the item
        // has its parent and its full citation.
        var lines = source.text.split(separator: "\n")
        var contextLines = 0
        var openings = Set<Int>()
        if let first = lines.first, (LegalChunker.marker(of: String(first))?.0 ?? 0) >= 12, let context = source.context {
            let opening = context.split(separator: "\n")
            contextLines = opening.count
            lines = opening + lines
        }
        for (number, rawLine) in lines.enumerated() {
            if number == contextLines { openings = Set(units.indices) }
            let raw = rawLine.trimmingCharacters(in: .whitespaces)
            let line = LegalAnnotations.strip(raw).trimmingCharacters(in: .whitespaces)
            guard line.contains(where: \.isLetter) else { continue }
            // Alíneas divide into items numbered "1)", "2." (Lei Complementar nº 95/1998, art. 10, IV).
            let itemNumber = alinea == nil ? nil : line.firstMatch(of: Self.itemMarker).map { String($0.1) }
            let marker = LegalChunker.marker(of: raw) ?? itemNumber.map { (Self.itemLevel, "item \($0)") }
            switch marker?.0 {
            case 10?: (article, paragraph, inciso, alinea, item) = (marker!.1, nil, nil, nil, nil)
            case 11?: (paragraph, inciso, alinea, item) = (marker!.1, nil, nil, nil)
            case 12?: (inciso, alinea, item) = (marker!.1, nil, nil)
            case 13?: (alinea, item) = (marker!.1, nil)
            case Self.itemLevel?: item = marker!.1
            case let level? where LegalChunker.divisionLevels.contains(level):
                // A heading is not evidence; it names what follows, outside the article before it
                // (an annex after the last article is not that article's text).
                section = marker!.1
                (article, paragraph, inciso, alinea, item) = (nil, nil, nil, nil, nil)
                listStart = nil
                continue
            default: break
            }
            let level = marker.map { $0.0 } ?? 0
            if level >= 10 {
                let device = level == Self.itemLevel ? String(raw.drop { $0 != " " }) : raw
                guard !LegalAnnotations.isVoid(device, label: level == Self.itemLevel ? nil : marker?.1) else { continue }
                let parent = parent(for: level)
                units.append(EvidenceUnit(text: line, citation: citation(), source: index, parent: parent, level: level, list: parent))
                lastAtLevel[level] = units.count - 1
                for deeper in stride(from: level + 1, through: Self.itemLevel, by: 1) { lastAtLevel[deeper] = nil }
            } else if let last = units.indices.last, units[last].level >= 10, line.prefixMatch(of: Self.sanction) != nil {
                // "Pena – reclusão, de 1 (um) a 4 (quatro) anos", "Infração – gravíssima;", "Penalidade – multa":
                // part of the device it follows, quoted with it.
                let owner = Self.sanctionOwner(after: last, in: units)
                units[owner].text += " " + line
                if number >= contextLines { openings.remove(owner) }
            } else {
                // A table row, a list item, a short paragraph is one unit; a long paragraph, its sentences.
                let isItem = line.firstMatch(of: Self.listItem) != nil
                if isItem, listStart == nil { listStart = units.count }
                if !isItem { listStart = nil }
                let whole = isItem || source.isTableRow(line) || line.split(separator: " ").count <= Self.shortLineWords
                let pieces = whole ? [line] : LegalChunker.sentences(of: line)
                for piece in pieces {
                    units.append(EvidenceUnit(text: piece, citation: citation(), source: index, level: 0, list: listStart))
                }
            }
        }
        return (units, openings)
    }

    /// The unit a sanction line after unit `last` belongs to: that device; but after an item of
    /// a list none of whose earlier items had sanction lines of their own, the device introducing
    /// the list — "Art. 252. Dirigir o veículo: I – com o braço do lado de fora; … VI – …;
    /// Infração – média" punishes every item, where art. 181 gives each inciso its own.
    static func sanctionOwner(after last: Int, in units: [EvidenceUnit]) -> Int {
        guard let list = units[last].list else { return last }
        let earlier = units.indices.filter { $0 != last && units[$0].list == list }
        return !earlier.isEmpty && earlier.allSatisfy({ units[$0].textWithoutSanction == units[$0].text }) ? list : last
    }

    /// The list the unit at `position` is an item of or introduces (a device ending in ":" before
    /// its sanction lines: "Art. 252. Dirigir o veículo: Infração – média"), named as `list` is.
    func listBelongedTo(at position: Int) -> Int? {
        list ?? listIntroduced(at: position)
    }

    /// The list the unit at `position` introduces, when it ends in ":" (named as `list` is).
    func listIntroduced(at position: Int) -> Int? {
        textWithoutSanction.hasSuffix(":") ? position : nil
    }

    /// A sanction line under a legal device: its penalty, infraction class or administrative measure.
    nonisolated(unsafe) static let sanction = /(?i:penas?|infração|penalidades?|medidas? administrativas?)\s*[–—:-]/

    /// The unit's words before its sanction lines: what it states apart from the penalty (the
    /// "6 meses" of a prison term does not answer "de quanto em quanto tempo renovar?").
    public var textWithoutSanction: String {
        // The first label that starts a word appended after the device's own words.
        let start = text.matches(of: Self.sanction).first { $0.range.lowerBound > text.startIndex && text[text.index(before: $0.range.lowerBound)] == " " }
        return start.map { String(text[..<text.index(before: $0.range.lowerBound)]) } ?? text
    }

    /// Words up to which a line outside legislation stays one unit.
    static let shortLineWords = 40
    /// The level of an alínea's items, below the chunker's devices (article 10 … alínea 13), and
    /// how one starts: "1) ", "2. ".
    static let itemLevel = 14
    nonisolated(unsafe) static let itemMarker = /^(\d{1,2})[.)]\s/
    /// An item of a numbered or bulleted list: "1. ", "2) ", "- ", "• ".
    nonisolated(unsafe) static let listItem = /^(?:\d{1,2}[.)]|[-•*])\s/

    /// "Lei nº 8.069/1990" from "Lei nº 8.069/1990 (Estatuto da Criança e do Adolescente)"; other
    /// titles whole.
    static func statuteName(_ title: String) -> String {
        guard title.contains("nº"), let open = title.range(of: " (") else { return title }
        return String(title[..<open.lowerBound])
    }

    /// "Art. 52-C" from "Art. 52-C – § 2º" (a range of units), keeping a wording label
    /// ("Art. 4º (Medida Provisória nº 1.153/2022)").
    static func articleLabel(in component: String) -> String {
        component.components(separatedBy: " – ").first!.trimmingCharacters(in: .whitespaces)
    }
}
