import Foundation

/// A piece of a document small enough to embed, with where it came from.
public struct Chunk: Sendable, Equatable, Codable {
    /// Position of the chunk in its document, from 0.
    public var ordinal: Int
    public var text: String
    /// Structural path at the chunk's start, outermost first: ["Capítulo XIV", "Art. 147", "§ 2º"].
    public var structure: [String]
    /// Structural label where the chunk ends, when it spans several units ("Art. 149").
    public var endStructure: String?
    public var firstPage: Int?
    public var lastPage: Int?
    /// Size in the embedding model's tokens (as counted by the chunker's counter).
    public var tokens: Int
    /// For a chunk that starts inside a unit: the opening words of the units it belongs to (the
    /// article's caput, the § introducing its incisos), so that it keeps its meaning when read
    /// alone. Indexed with the chunk, not part of its text.
    public var context: String?

    public init(
        ordinal: Int, text: String, structure: [String] = [], endStructure: String? = nil, firstPage: Int? = nil, lastPage: Int? = nil,
        tokens: Int, context: String? = nil
    ) {
        self.ordinal = ordinal
        self.context = context
        self.text = text
        self.structure = structure
        self.endStructure = endStructure
        self.firstPage = firstPage
        self.lastPage = lastPage
        self.tokens = tokens
    }

    /// Human-readable location: "p. 3–4, Capítulo XIV › Art. 147 › § 2º".
    public var location: String {
        var parts: [String] = []
        if let firstPage {
            parts.append(lastPage.map { $0 != firstPage ? "p. \(firstPage)–\($0)" : "p. \(firstPage)" } ?? "p. \(firstPage)")
        }
        if !structure.isEmpty {
            var path = structure.joined(separator: " › ")
            if let endStructure, endStructure != structure.last { path += " – \(endStructure)" }
            parts.append(path)
        }
        return parts.joined(separator: ", ")
    }
}

/// Splits documents at the boundaries of Portuguese legal and regulatory text — Título, Capítulo,
/// Seção, `Art. N`, `§`, incisos (`I -`), alíneas (`a)`) and Markdown headings — before falling back
/// to paragraphs, sentences and words, so that no chunk exceeds `size` tokens of the embedding
/// model. Small neighbouring units are merged; a unit split in several chunks carries `overlap`
/// tokens of whole sentences from one chunk into the next.
public struct LegalChunker: Sendable {
    public let size: Int
    public let overlap: Int
    private let countTokens: @Sendable (String) -> Int

    /// - Parameters:
    ///   - size: most tokens per chunk (`CHUNK_SIZE`, in embedding-model tokens).
    ///   - overlap: tokens repeated between consecutive chunks of one unit (`CHUNK_OVERLAP`).
    ///   - countTokens: the embedding model's token count for a text.
    public init(size: Int, overlap: Int, countTokens: @escaping @Sendable (String) -> Int) {
        precondition(size >= 16, "chunk size must be at least 16 tokens")
        self.size = size
        self.overlap = max(0, min(overlap, size / 2))
        self.countTokens = countTokens
    }

    // MARK: - Structure

    /// A run of text under one structural marker.
    struct Block {
        var level: Int          // structural depth of its marker (Int.max for plain text)
        var label: String?      // "Art. 147", "§ 2º", a heading…
        var path: [String]      // labels from the outermost unit to this block's
        var text: String
        var page: Int?
        var unit: Int           // index of the top-level unit (article or heading) it belongs to
    }

    // NSRegularExpression is immutable and safe to share for matching.

    /// Markers in order of depth: (level, pattern, label builder).
    nonisolated(unsafe) private static let markers: [(Int, NSRegularExpression, (NSTextCheckingResult, NSString) -> String)] = {
        func regex(_ pattern: String, caseInsensitive: Bool = true) -> NSRegularExpression {
            try! NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        }
        func group(_ match: NSTextCheckingResult, _ line: NSString, _ index: Int) -> String {
            match.range(at: index).location == NSNotFound ? "" : line.substring(with: match.range(at: index))
        }
        return [
            (1, regex(#"^(?:LIVRO|PARTE)\s+([IVXLCDM]+|\d+|[A-ZÇÃÉÊÍÓÔÚ]+)\b"#), { "Livro \(group($0, $1, 1))" }),
            // An act's annex ("ANEXO I", "ANEXO ÚNICO", "ANEXO"): capitals only, alone or before its
            // name, so that "Anexo I desta Resolução" wrapped onto a new line stays a reference.
            (1, regex(#"^ANEXO(?:\s+([IVXLCDM]+|\d+|ÚNICO|UNICO))?(?=\s*$|\s*[-–—:.(]|\s+[A-ZÀ-Ú]{2})"#, caseInsensitive: false), {
                let number = group($0, $1, 1)
                return number.isEmpty ? "Anexo" : "Anexo \(number == "UNICO" ? "ÚNICO" : number)"
            }),
            // A division inserted later has a letter ("CAPÍTULO III-A", "Seção V-A").
            (2, regex(#"^T[ÍI]TULO\s+([IVXLCDM]+|\d+|[ÚU]NICO)(-[A-Z]\b)?\b"#), { "Título \(group($0, $1, 1).uppercased())\(group($0, $1, 2).uppercased())" }),
            (3, regex(#"^CAP[ÍI]TULO\s+([IVXLCDM]+|\d+|[ÚU]NICO)(-[A-Z]\b)?\b"#), { "Capítulo \(group($0, $1, 1).uppercased())\(group($0, $1, 2).uppercased())" }),
            (4, regex(#"^SE[ÇC][ÃA]O\s+([IVXLCDM]+|\d+|[ÚU]NICA)(-[A-Z]\b)?\b"#), { "Seção \(group($0, $1, 1).uppercased())\(group($0, $1, 2).uppercased())" }),
            (5, regex(#"^SUBSE[ÇC][ÃA]O\s+([IVXLCDM]+|\d+|[ÚU]NICA)(-[A-Z]\b)?\b"#), { "Subseção \(group($0, $1, 1).uppercased())\(group($0, $1, 2).uppercased())" }),
            // Capitalised only: "art. 5º" inside a sentence wrapped onto a new line is a reference.
            (10, regex(#"^(?:Art|ART)(?:igo|IGO|\.)?\s*(\d+(?:\.\d+)*)\s*(?:º|°|o\b)?(-[A-Za-z])?"#, caseInsensitive: false), {
                let number = group($0, $1, 1)
                let ordinal = (Int(number.replacingOccurrences(of: ".", with: "")) ?? 10) < 10 ? "º" : ""
                return "Art. \(number)\(ordinal)\(group($0, $1, 2).uppercased())"
            }),
            (11, regex(#"^§\s*(\d+)\s*(?:º|°|o\b)?"#), {
                let number = group($0, $1, 1)
                return "§ \(number)\((Int(number) ?? 10) < 10 ? "º" : "")"
            }),
            (11, regex(#"^Par[áa]grafo\s+[úu]nico"#), { _, _ in "Parágrafo único" }),
            (12, regex(#"^([IVXLCDM]+)\s*[-–—]\s"#), { "inciso \(group($0, $1, 1).uppercased())" }),
            (13, regex(#"^([a-z])\)\s"#), { "alínea \(group($0, $1, 1).lowercased())" }),
        ]
    }()

    nonisolated(unsafe) private static let markdownHeading = try! NSRegularExpression(pattern: #"^(#{1,6})\s+(.+)$"#)

    /// The structural marker a line starts with, if any: (level, label).
    public static func marker(of line: String) -> (Int, String)? {
        match(line).map { ($0.level, $0.label) }
    }

    /// Where the marker `text` starts with ends ("Art. 147" in "Art. 147. O candidato").
    public static func markerRange(in text: String) -> Range<String.Index>? {
        match(text).flatMap { Range($0.range, in: text) }
    }

    private static func match(_ line: String) -> (level: Int, label: String, range: NSRange)? {
        let ns = line as NSString
        let range = NSRange(location: 0, length: ns.length)
        if let match = markdownHeading.firstMatch(in: line, range: range) {
            let level = match.range(at: 1).length
            let title = ns.substring(with: match.range(at: 2)).trimmingCharacters(in: .whitespaces)
            // A heading that is itself a legal marker ("## Art. 5º") takes the legal level.
            if let legal = marker(of: title) { return (legal.0, legal.1, match.range) }
            return (level, String(title.prefix(80)), match.range)
        }
        for (level, regex, label) in markers {
            if let match = regex.firstMatch(in: line, range: range) { return (level, label(match, ns), match.range) }
        }
        return nil
    }

    /// Levels of the divisions above articles (Livro … Subseção) and Markdown headings.
    public static let divisionLevels = 1..<10

    /// Blocks of the document with their structural paths. A division's name ("CAPÍTULO IX" then
    /// "DO TRANSPORTE") joins its label ("Capítulo IX – Do transporte"); a division or device that
    /// holds no text of its own (only its name, or only "(VETADO)"/"(Revogado)") is no block.
    func blocks(of document: LoadedDocument) -> [Block] {
        var blocks: [Block] = []
        var stack: [(level: Int, label: String)] = []
        var unit = 0
        var current: Block?
        /// A division whose name may follow on the next line.
        var awaitingName = false
        func flush() {
            if var block = current {
                block.text = block.text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !block.text.isEmpty && !isEmptyDivision(block) && !LegalAnnotations.isVoid(block.text, label: block.label) {
                    blocks.append(block)
                }
            }
            current = nil
        }
        for page in document.pages {
            for rawLine in page.text.split(separator: "\n", omittingEmptySubsequences: false) {
                let line = rawLine.trimmingCharacters(in: .whitespaces)
                if line.isEmpty {
                    // A blank line ends a plain paragraph (and a spreadsheet's row, even the first
                    // under a heading); marked units continue across it only when the next line is
                    // not new structure (handled by the marker test below).
                    if current?.label == nil || document.format.isSpreadsheet { flush() } else { current?.text += "\n" }
                    continue
                }
                let marker = Self.match(line)
                if let found = marker, !isReferenceWrappedOntoNewLine(found.level, after: current, format: document.format) {
                    flush()
                    var label = found.label
                    let rest = Self.divisionName((line as NSString).substring(from: found.range.location + found.range.length))
                    awaitingName = Self.divisionLevels.contains(found.level) && rest == nil && !line.hasPrefix("#")
                    if Self.divisionLevels.contains(found.level), let rest, !line.hasPrefix("#") { label += " – \(rest)" }
                    while let top = stack.last, top.level >= found.level { stack.removeLast() }
                    stack.append((found.level, label))
                    if found.level <= 10 { unit += 1 }
                    current = Block(level: found.level, label: label, path: stack.map(\.label), text: line, page: page.number, unit: unit)
                } else if current != nil {
                    if awaitingName, let name = Self.divisionName(line), var block = current {
                        block.label! += " – \(name)"
                        stack[stack.count - 1].label = block.label!
                        block.path = stack.map(\.label)
                        current = block
                    }
                    current!.text += (current!.text.hasSuffix("\n") ? "" : "\n") + line
                } else {
                    // A table's row is a record of its own, as an article is.
                    if document.format.isSpreadsheet { unit += 1 }
                    current = Block(level: Int.max, label: nil, path: stack.map(\.label), text: line, page: page.number, unit: unit)
                }
                // "(Incluído pela Lei nº …)" between a division's label and its name is no name.
                if marker == nil && LegalAnnotations.strip(line).contains(where: \.isLetter) { awaitingName = false }
            }
            // Pages end paragraphs of plain text; a marked unit may run onto the next page.
            if current?.label == nil { flush() }
        }
        flush()
        return Self.labellingRepeatedArticles(blocks)
    }

    nonisolated(unsafe) private static let wordingSource = try! NSRegularExpression(
        pattern: #"\((?:Reda[çc][ãa]o dada|Inclu[íi]d[oa]|Acrescid[oa]|Acrescentad[oa])\s+pel[oa]\s+((?:Medida Provis[óo]ria|Lei Complementar|Lei|Decreto)\s+n?[ºo°]?\s*[\d.]+)(?:,\s*de\s*(\d{4}))?"#,
        options: [.caseInsensitive])

    /// Where an article appears twice (a Medida Provisória's wording, then the law's), each keeps
    /// its place and says whose wording it is: "Art. 5º (Medida Provisória nº 1.153/2022)".
    static func labellingRepeatedArticles(_ blocks: [Block]) -> [Block] {
        let articles = blocks.filter { $0.level == 10 }
        let repeated = Set(Dictionary(grouping: articles, by: { $0.label ?? "" }).filter { $0.value.count > 1 }.keys)
        guard !repeated.isEmpty else { return blocks }
        var renamed: [Int: (from: String, to: String)] = [:]  // unit → label change
        for block in articles where repeated.contains(block.label ?? "") {
            let unitText = blocks.filter { $0.unit == block.unit }.map(\.text).joined(separator: " ")
            let ns = unitText as NSString
            guard let match = wordingSource.firstMatch(in: unitText, range: NSRange(location: 0, length: ns.length)) else { continue }
            var source = ns.substring(with: match.range(at: 1)).replacingOccurrences(of: #"\s+n?[ºo°]?\s*(?=[\d])"#, with: " nº ", options: .regularExpression)
            if match.range(at: 2).location != NSNotFound { source += "/" + ns.substring(with: match.range(at: 2)) }
            renamed[block.unit] = (block.label!, "\(block.label!) (\(source))")
        }
        return blocks.map { block in
            guard let change = renamed[block.unit] else { return block }
            var block = block
            block.path = block.path.map { $0 == change.from ? change.to : $0 }
            if block.label == change.from { block.label = change.to }
            return block
        }
    }

    /// A division's name as written after or under its label ("DO TRANSPORTE" → "Do transporte"),
    /// or nil for text that is not a name (empty, a sentence, too long).
    static func divisionName(_ text: String) -> String? {
        let name = text.trimmingCharacters(in: CharacterSet(charactersIn: " -–—.:").union(.whitespaces))
        guard !name.isEmpty, name.count <= 120, name.first?.isLetter == true, !name.hasSuffix(";"),
              name.split(separator: " ").count <= 16 else { return nil }
        let letters = name.filter(\.isLetter)
        guard letters.allSatisfy(\.isUppercase) else { return name }
        return name.prefix(1) + name.dropFirst().lowercased()
    }

    /// A division block holding nothing but its label line and name.
    private func isEmptyDivision(_ block: Block) -> Bool {
        guard Self.divisionLevels.contains(block.level), let label = block.label, !block.text.hasPrefix("#") else { return false }
        let lines = block.text.split(separator: "\n").map { LegalAnnotations.strip(String($0)).trimmingCharacters(in: .whitespaces) }
            .filter { $0.contains(where: \.isLetter) }
        return lines.count <= 1 || (lines.count == 2 && label.hasSuffix(Self.divisionName(lines[1]) ?? "\u{0}"))
    }

    /// In a PDF a line break may fall inside a sentence: "previsto no" / "§ 2º deste artigo" is a
    /// reference, not a new paragraph. A § or inciso marker right after a line that ends in a
    /// lower-case word or a comma continues the sentence.
    private func isReferenceWrappedOntoNewLine(_ level: Int, after current: Block?, format: DocumentFormat) -> Bool {
        guard format == .pdf, level > 10, let last = current?.text.last(where: { !$0.isWhitespace }) else { return false }
        return last.isLowercase || last == ","
    }

    // MARK: - Chunks

    /// The chunks of `document`, in order. Articles start their own chunk; two neighbouring
    /// articles share one only when both are tiny. Each row of a spreadsheet is a chunk of its own.
    public func chunk(_ document: LoadedDocument) -> [Chunk] {
        var chunks: [Chunk] = []
        var open: (pieces: [Piece], tokens: Int)? = nil
        let tiny = size / 5

        func close() {
            guard let current = open, !current.pieces.isEmpty else { open = nil; return }
            let text = current.pieces.map(\.text).joined(separator: "\n")
            let first = current.pieces.first!, last = current.pieces.last!
            chunks.append(Chunk(
                ordinal: chunks.count, text: text, structure: first.path,
                endStructure: Self.endLabel(first: first.path, last: last.path),
                firstPage: current.pieces.compactMap(\.page).first, lastPage: current.pieces.compactMap(\.page).last,
                tokens: countTokens(text), context: first.context))
            open = nil
        }

        for piece in pieces(of: blocks(of: document)) {
            if let current = open {
                let sameUnit = current.pieces.last!.unit == piece.unit
                let combined = countTokens((current.pieces.map(\.text) + [piece.text]).joined(separator: "\n"))
                // Tiny neighbours share a chunk only when both are articles or neither is: an act's
                // opening is not its art. 1º, nor an annex its last article.
                let first = current.pieces.first!.path
                let startsNewUnit = !sameUnit
                    && (document.format.isSpreadsheet || current.tokens > tiny || piece.tokens > tiny || Self.isArticle(first) != Self.isArticle(piece.path) || first.isEmpty != piece.path.isEmpty)
                if combined > size || startsNewUnit {
                    close()
                    if sameUnit && piece.isContinuation, let carried = carryOver(from: chunks.last!.text, unit: piece) {
                        open = ([carried], carried.tokens)
                    }
                }
            }
            if open == nil {
                open = ([piece], piece.tokens)
            } else {
                open!.pieces.append(piece)
                open!.tokens = countTokens(open!.pieces.map(\.text).joined(separator: "\n"))
            }
            if open!.tokens > size {
                // Only possible when the carried overlap plus the piece exceed the size: drop the overlap.
                open = ([piece], piece.tokens)
            }
        }
        close()
        return chunks
    }

    /// Whether a structural path runs through an article.
    static func isArticle(_ path: [String]) -> Bool {
        path.contains { $0.hasPrefix("Art.") }
    }

    /// Where a chunk spanning several units ends: the last unit's label, with its article when
    /// that differs from the first's ("Art. 41 › § 2º"); nil when it ends where it starts.
    static func endLabel(first: [String], last: [String]) -> String? {
        guard last.last != first.last, let end = last.last else { return nil }
        let article = { (path: [String]) in path.first { $0.hasPrefix("Art.") } }
        guard let lastArticle = article(last), lastArticle != article(first), lastArticle != end else { return end }
        return "\(lastArticle) › \(end)"
    }

    /// A block, or a part of one when the block alone exceeds the size.
    struct Piece {
        var text: String
        var path: [String]
        var page: Int?
        var unit: Int
        var tokens: Int
        /// A later part of a split block (or overlap carried into the next chunk).
        var isContinuation: Bool
        /// The opening words of the blocks above it in its unit (see `Chunk.context`).
        var context: String?
    }

    /// Words of an enclosing unit kept as context.
    static let contextWords = 40

    /// Blocks as pieces of at most `size` tokens: whole blocks when they fit, else their sentences
    /// (packed), else a sentence's words.
    func pieces(of blocks: [Block]) -> [Piece] {
        var result: [Piece] = []
        var enclosing: [(level: Int, unit: Int, opening: String)] = []
        for block in blocks {
            enclosing.removeAll { $0.unit != block.unit || $0.level >= block.level }
            let parents = enclosing.map(\.opening)
            let opening = Self.opening(of: block.text)
            if block.label != nil && block.level >= 10 { enclosing.append((block.level, block.unit, opening)) }
            let tokens = countTokens(block.text)
            if tokens <= size {
                result.append(Piece(
                    text: block.text, path: block.path, page: block.page, unit: block.unit, tokens: tokens, isContinuation: false,
                    context: parents.isEmpty ? nil : parents.joined(separator: "\n")))
                continue
            }
            var first = true
            // Later parts leave room for the overlap carried in front of them.
            for part in split(block.text, budget: size - overlap) {
                let context = first ? parents : parents + [opening]
                result.append(Piece(
                    text: part, path: block.path, page: block.page, unit: block.unit, tokens: countTokens(part), isContinuation: !first,
                    context: context.isEmpty ? nil : context.joined(separator: "\n")))
                first = false
            }
        }
        return result
    }

    /// The first `contextWords` words of a unit, annotations left out.
    static func opening(of text: String) -> String {
        let words = LegalAnnotations.strip(text).split(whereSeparator: { $0 == " " || $0 == "\n" })
        return words.prefix(contextWords).joined(separator: " ") + (words.count > contextWords ? " …" : "")
    }

    /// Splits an oversized text into parts of at most `budget` tokens at sentence, then word, boundaries.
    func split(_ text: String, budget: Int) -> [String] {
        var parts: [String] = []
        var current = ""
        for sentence in Self.sentences(of: text) {
            let candidate = current.isEmpty ? sentence : current + " " + sentence
            if countTokens(candidate) <= budget {
                current = candidate
                continue
            }
            if !current.isEmpty { parts.append(current) }
            if countTokens(sentence) <= budget {
                current = sentence
            } else {
                var words = ""
                for word in sentence.split(separator: " ") {
                    let next = words.isEmpty ? String(word) : words + " " + word
                    if countTokens(next) <= budget || words.isEmpty { words = next } else { parts.append(words); words = String(word) }
                }
                current = words
            }
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }

    nonisolated(unsafe) private static let sentenceEnd = try! NSRegularExpression(pattern: #"(?<=[.!?;:])\s+(?=[A-ZÀ-Ú0-9§\"“(])"#)

    public static func sentences(of text: String) -> [String] {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        let ns = flat as NSString
        var result: [String] = []
        var start = 0
        for match in sentenceEnd.matches(in: flat, range: NSRange(location: 0, length: ns.length)) {
            result.append(ns.substring(with: NSRange(location: start, length: match.range.location - start)))
            start = match.range.location + match.range.length
        }
        result.append(ns.substring(from: start))
        return result.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The last whole sentences of `text` that fit in `overlap` tokens, as a continuation piece.
    private func carryOver(from text: String, unit piece: Piece) -> Piece? {
        guard overlap > 0 else { return nil }
        var carried: [String] = []
        for sentence in Self.sentences(of: text).reversed() {
            let candidate = ([sentence] + carried).joined(separator: " ")
            if countTokens(candidate) > overlap { break }
            carried.insert(sentence, at: 0)
        }
        guard !carried.isEmpty else { return nil }
        let joined = carried.joined(separator: " ")
        return Piece(
            text: joined, path: piece.path, page: piece.page, unit: piece.unit, tokens: countTokens(joined), isContinuation: true,
            context: piece.context)
    }
}
