import Foundation

/// A PDF's words and lines as `pdftotext -bbox-layout` places them, and the thin horizontal
/// bands `pdftocairo -svg` draws (strike-through, underline, rules); both in points from a
/// page's top-left corner. A word is struck through when a band crosses its middle: an underline
/// lies at its bottom, a rule between lines.
enum PDFLayout {
    struct Box: Equatable {
        var xMin: Double, yMin: Double, xMax: Double, yMax: Double
        var height: Double { yMax - yMin }
    }

    struct Word: Equatable {
        var text: String
        var box: Box
    }

    struct Line: Equatable {
        var box: Box
        var words: [Word]
    }

    /// A page: its flows (pdftotext's reading order), each a list of lines.
    struct Page: Equatable {
        var flows: [[Line]]

        /// The page's text as `pdftotext` writes it — words by spaces (none where they touch,
        /// as "2" and a superscript "o"), lines by newlines, flows by blank lines — without the
        /// words a band in `struck` crosses; a line left empty goes with them.
        func text(without struck: [Box]) -> String {
            let flowTexts = flows.map { lines in
                lines.compactMap { line -> String? in
                    var text = ""
                    var previous: Word?, previousStruck = false
                    for word in line.words {
                        let touching = previous.map { word.box.xMin - $0.box.xMax < 0.1 * line.box.height } ?? false
                        // A superscript ordinal goes with the number it is glued to.
                        let isStruck = PDFLayout.isStruck(word, by: struck) || (touching && previousStruck)
                        defer { previous = word; previousStruck = isStruck }
                        guard !isStruck else { continue }
                        if !text.isEmpty && !(touching && !previousStruck) { text += " " }
                        text += word.text
                    }
                    return text.isEmpty ? nil : text
                }.joined(separator: "\n")
            }
            return flowTexts.filter { !$0.isEmpty }.joined(separator: "\n\n") + "\n"
        }
    }

    /// Whether a band crosses `word`'s centre within the middle half of its height (an underline
    /// lies at its bottom).
    static func isStruck(_ word: Word, by bands: [Box]) -> Bool {
        let centre = (word.box.xMin + word.box.xMax) / 2
        let low = word.box.yMin + 0.25 * word.box.height, high = word.box.yMin + 0.75 * word.box.height
        return bands.contains { band in
            let middle = (band.yMin + band.yMax) / 2
            return band.xMin <= centre && centre <= band.xMax && low <= middle && middle <= high
        }
    }

    // MARK: - pdftotext -bbox-layout

    /// The pages of `pdftotext -bbox-layout`'s XHTML.
    static func pages(inBoundingBoxes xhtml: String) -> [Page] {
        xhtml.components(separatedBy: "<page ").dropFirst().map { page in
            Page(flows: page.components(separatedBy: "<flow>").dropFirst().map { flow in
                flow.components(separatedBy: "<line ").dropFirst().compactMap { line -> Line? in
                    guard let box = Self.box(in: line.prefix { $0 != ">" }) else { return nil }
                    let words = line.components(separatedBy: "<word ").dropFirst().compactMap { word -> Word? in
                        guard let close = word.range(of: ">"), let end = word.range(of: "</word>"),
                              let box = Self.box(in: word[..<close.lowerBound]) else { return nil }
                        return Word(text: unescape(String(word[close.upperBound..<end.lowerBound])), box: box)
                    }
                    return words.isEmpty ? nil : Line(box: box, words: words)
                }
            })
        }
    }

    /// The `xMin`, `yMin`, `xMax`, `yMax` attributes of a tag.
    private static func box(in tag: Substring) -> Box? {
        func value(_ name: String) -> Double? {
            guard let start = tag.range(of: name + "=\"") else { return nil }
            return Double(tag[start.upperBound...].prefix { $0 != "\"" })
        }
        guard let xMin = value("xMin"), let yMin = value("yMin"), let xMax = value("xMax"), let yMax = value("yMax") else { return nil }
        return Box(xMin: xMin, yMin: yMin, xMax: xMax, yMax: yMax)
    }

    private static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    // MARK: - pdftocairo -svg

    /// Per page of `pdftocairo -svg`'s drawing, the bands at most `thickness` high and at least
    /// as wide: filled rectangles (how browsers draw text decorations) and straight horizontal
    /// strokes. Glyph outlines, clip paths and anything transformed are not bands.
    static func strikeBands(inSVG svg: Data, thickness: Double = 2) -> [[Box]] {
        // One pass from "<" to "<": definitions are skipped whole, "<page>" starts a page (a
        // single page has none), each "<path " is read up to its ">".
        let skipped = ["defs", "symbol", "clipPath", "mask", "pattern"].map { (open: Array($0.utf8), close: Array("</\($0)>".utf8)) }
        let page = Array("page>".utf8), path = Array("path ".utf8)
        var pages: [[Box]] = [[]]
        var sawPage = false
        svg.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard let base = buffer.baseAddress else { return }
            let count = buffer.count
            func starts(_ word: [UInt8], at index: Int) -> Bool {
                index + word.count <= count && word.indices.allSatisfy { buffer[index + $0] == word[$0] }
            }
            /// The index of `byte` at or after `index`, else `count`.
            func next(_ byte: UInt8, from index: Int) -> Int {
                guard index < count, let found = memchr(base + index, Int32(byte), count - index) else { return count }
                return base.distance(to: UnsafeRawPointer(found))
            }
            func next(_ word: [UInt8], from index: Int) -> Int {
                var found = next(word[0], from: index)
                while found < count && !starts(word, at: found) { found = next(word[0], from: found + 1) }
                return found
            }
            var index = next(UInt8(ascii: "<"), from: 0)
            while index < count {
                let name = index + 1
                if let skip = skipped.first(where: { starts($0.open, at: name) && name + $0.open.count < count && [UInt8(ascii: ">"), UInt8(ascii: " ")].contains(buffer[name + $0.open.count]) }) {
                    index = next(UInt8(ascii: "<"), from: next(skip.close, from: name) + skip.close.count)
                    continue
                }
                let tagEnd = next(UInt8(ascii: ">"), from: name)
                if starts(page, at: name) {
                    if sawPage { pages.append([]) }
                    sawPage = true
                } else if starts(path, at: name), let band = band(in: String(decoding: UnsafeRawBufferPointer(rebasing: buffer[index..<tagEnd]), as: UTF8.self), thickness: thickness) {
                    pages[pages.count - 1].append(band)
                }
                index = next(UInt8(ascii: "<"), from: tagEnd)
            }
        }
        return pages
    }

    /// The band a path draws, when it is a thin horizontal one made only of straight segments.
    static func band(in tag: String, thickness: Double) -> Box? {
        guard !tag.contains("transform"), let start = tag.range(of: " d=\"") else { return nil }
        let path = tag[start.upperBound...].prefix { $0 != "\"" }
        var xs: [Double] = [], ys: [Double] = []
        var pending: Double?
        for token in path.split(separator: " ") {
            switch token {
            case "M", "L", "Z", "z": continue
            default:
                guard let number = Double(token) else { return nil }  // a curve: a glyph or a shape
                if let x = pending {
                    xs.append(x); ys.append(number); pending = nil
                } else {
                    pending = number
                }
            }
        }
        guard let xMin = xs.min(), let xMax = xs.max(), let yMin = ys.min(), let yMax = ys.max(),
              yMax - yMin <= thickness, xMax - xMin >= thickness else { return nil }
        if yMax > yMin { return Box(xMin: xMin, yMin: yMin, xMax: xMax, yMax: yMax) }
        // A stroke: as thick as its width.
        let width = tag.range(of: "stroke-width:").flatMap { Double(tag[$0.upperBound...].prefix { $0.isNumber || $0 == "." }) } ?? 1
        guard width <= thickness, !tag.contains("stroke:none") else { return nil }
        return Box(xMin: xMin, yMin: yMin - width / 2, xMax: xMax, yMax: yMax + width / 2)
    }
}
