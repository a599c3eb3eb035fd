import Foundation

/// The editorial notes the federal legislation portal puts inside the law's text — "(Redação dada
/// pela Lei nº 14.423, de 2022)", "(Incluído pela …)", "(Vigência)", "(VETADO)", "(Revogado)",
/// "(Vide …)". People see them; retrieval does not: they repeat across hundreds of devices and
/// would make every amended paragraph look alike to the embedding and the keyword index.
public enum LegalAnnotations {
    /// Words an annotation starts with (after "(", case-insensitive, accents as published).
    private static let heads = [
        "redação dada", "redação dad", "incluíd", "incluid", "acrescentad", "acrescid", "renumerad", "revogad", "vide",
        "vigência", "vigencia", "vetad", "produção de efeito", "produção de efeitos", "regulamento", "regulamentação",
        "suprimid", "alterad", "declarad", "promulgação", "transformad", "convertid", "execução suspensa", "em vigor",
        "mantid", "restabelecid", "retificad", "sem efeito", "eficácia", "expressão", "parte mantida", "redação anterior",
    ]

    /// "(…)" groups, allowing one level of nested parentheses ("(Vide ADI nº 4.275 (…))").
    nonisolated(unsafe) private static let group = try! NSRegularExpression(pattern: #"\((?:[^()]|\([^()]*\))*\)"#)

    /// `text` without the portal's annotations, spaces tidied; also without the bare "Vigência"
    /// link the portal sets after some devices ("… estado civil. (Redação dada …) Vigência"), on
    /// their line or on a line of its own.
    public static func strip(_ text: String) -> String {
        let stripped = strippingGroups(text)
        guard stripped.contains("Vigência") else { return stripped }
        let ns = stripped as NSString
        return bareNote.stringByReplacingMatches(in: stripped, range: NSRange(location: 0, length: ns.length), withTemplate: "")
    }

    /// "Vigência" ending a line, alone or after the end of a device's text.
    nonisolated(unsafe) private static let bareNote = try! NSRegularExpression(
        pattern: #"(?:^|(?<=[.;:,)]))[ \t]*Vigência[ \t]*$"#, options: .anchorsMatchLines)

    private static func strippingGroups(_ text: String) -> String {
        guard text.contains("(") else { return text }
        let ns = text as NSString
        var result = ""
        var last = 0
        for match in group.matches(in: text, range: NSRange(location: 0, length: ns.length)) where isAnnotation(ns.substring(with: match.range)) {
            result += ns.substring(with: NSRange(location: last, length: match.range.location - last))
            last = match.range.location + match.range.length
        }
        guard last > 0 else { return text }
        result += ns.substring(from: last)
        return result.replacingOccurrences(of: "[ \\t]+", with: " ", options: .regularExpression)
            .replacingOccurrences(of: " +([.;,:])", with: "$1", options: .regularExpression)
            .split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: "\n")
    }

    /// Whether a parenthesised group is an editorial annotation rather than the law's own words.
    static func isAnnotation(_ group: String) -> Bool {
        let inner = group.dropFirst().drop { $0 == " " || $0 == "\n" }.lowercased()
        return heads.contains { inner.hasPrefix($0) }
    }

    /// Whether a device holds no law once its label and annotations are gone: "§ 6º (VETADO).",
    /// "III - (Revogado);", "I - (VETADO); e", "Art. 12. (Revogado pela Lei nº …)". Such a device is
    /// not a passage.
    public static func isVoid(_ text: String, label: String?) -> Bool {
        var body = text
        if label != nil, let marker = LegalChunker.markerRange(in: body) { body.removeSubrange(marker) }
        let words = strip(body).lowercased().split { !$0.isLetter && !$0.isNumber }
        return words.isEmpty || words.allSatisfy { ["vetado", "revogado", "revogada", "suprimido", "suprimida", "o", "a", "e", "ou"].contains($0) }
    }
}
