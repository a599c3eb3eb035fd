import Foundation

/// Article numbers as the evaluation compares them: "Art. 5º", "art 5", "Artigo 5o" → "5";
/// "Art. 244-A" → "244-A"; "Art. 1.048" → "1048".
public enum ArticleNumber {
    nonisolated(unsafe) private static let written = try! NSRegularExpression(
        pattern: #"^\s*art(?:igo|\.)?\s*(\d+(?:\.\d+)*)\s*(?:º|°|o\b)?\s*(?:-\s*([a-z]))?"#, options: [.caseInsensitive])
    nonisolated(unsafe) private static let inText = try! NSRegularExpression(
        pattern: #"\bArt\.\s*(\d+(?:\.\d+)*)\s*(?:º|°|o\b)?(?:-([A-Z]))?"#)

    /// The number of an article reference, or nil when `text` is not one.
    public static func parse(_ text: String) -> String? {
        let ns = text as NSString
        guard let match = written.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)) else { return nil }
        return canonical(ns, match)
    }

    /// The articles a source covers: every "Art. N" of its location (a range "Art. 5º – Art. 7º"
    /// filled in) and every article that starts a line of its text.
    public static func covered(location: String, text: String) -> Set<String> {
        var numbers = Set<String>()
        let ns = location as NSString
        let inLocation = inText.matches(in: location, range: NSRange(location: 0, length: ns.length)).map { canonical(ns, $0) }
        numbers.formUnion(inLocation)
        if inLocation.count == 2, let first = Int(inLocation[0]), let last = Int(inLocation[1]), first < last, last - first < 50 {
            numbers.formUnion((first...last).map(String.init))
        }
        for line in text.split(separator: "\n") {
            let line = String(line)
            let lineNS = line as NSString
            if let match = written.firstMatch(in: line, range: NSRange(location: 0, length: lineNS.length)), line.hasPrefix("Art") {
                numbers.insert(canonical(lineNS, match))
            }
        }
        return numbers
    }

    private static func canonical(_ ns: NSString, _ match: NSTextCheckingResult) -> String {
        let number = ns.substring(with: match.range(at: 1)).replacingOccurrences(of: ".", with: "")
        let letter = match.range(at: 2).location == NSNotFound ? "" : "-" + ns.substring(with: match.range(at: 2)).uppercased()
        return number + letter
    }
}
