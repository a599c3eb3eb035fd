import Foundation

/// Recognises the act a legal text is — "LEI Nº 8.069, DE 13 DE JULHO DE 1990." followed by its
/// ementa "Dispõe sobre o Estatuto da Criança e do Adolescente …" — and names it the way people
/// cite it: "Lei nº 8.069/1990 (Estatuto da Criança e do Adolescente)".
enum StatuteTitle {
    nonisolated(unsafe) private static let act = try! NSRegularExpression(pattern: [
        #"^(LEI COMPLEMENTAR|LEI|DECRETO-LEI|DECRETO|MEDIDA PROVIS[ÓO]RIA|RESOLU[ÇC][ÃA]O|PORTARIA|DELIBERA[ÇC][ÃA]O|"#,
        #"INSTRU[ÇC][ÃA]O NORMATIVA|EMENDA CONSTITUCIONAL)\b\s*"#,
        #"((?:CONTRAN|SENATRAN|DENATRAN|CETRAN|CONTRANDIFE|DETRAN)(?:[-/][A-Z]{2})?\s+)?"#,
        #"(?:N[º°o.]*\s*)?(\d[\d.]*)\s*,?\s+DE\s+(\d{1,2})[º°o]?\s+DE\s+([A-ZÇ]+)\s+DE\s+(\d{4})"#,
    ].joined(), options: [.caseInsensitive])
    nonisolated(unsafe) private static let name = try! NSRegularExpression(pattern: [
        #"\b((?:Estatuto|C[óo]digo|Lei Org[âa]nica|Consolida[çc][ãa]o|Regulamento|Pol[íi]tica Nacional|Sistema Nacional)\s[^.;:()]+?)"#,
        #"(?:\s*,|\s+e\s+d[áa]\s+outras|\s+e\s+altera|\s+e\s+revoga|\.|;|\(|$)"#,
    ].joined())

    static func find(in lines: [String]) -> String? {
        for (index, line) in lines.enumerated() {
            let ns = line as NSString
            guard let match = act.firstMatch(in: line, range: NSRange(location: 0, length: ns.length)) else { continue }
            func group(_ i: Int) -> String { match.range(at: i).location == NSNotFound ? "" : ns.substring(with: match.range(at: i)) }
            let kind = group(1).lowercased().split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst() }
                .joined(separator: " ").replacingOccurrences(of: "Provisoria", with: "Provisória")
            let issuer = group(2).trimmingCharacters(in: .whitespaces).uppercased()
            var citation = kind + (issuer.isEmpty ? "" : " \(issuer)") + " nº \(group(3))/\(group(6))"
            if let popular = popularName(in: lines[(index + 1)...].prefix(12)) { citation += " (\(popular))" }
            return citation
        }
        return nil
    }

    /// The name an ementa gives the act ("Estatuto da Pessoa Idosa"): from the last ementa before
    /// the body starts (a page printed with revoked wording shows the old ementa first).
    private static func popularName(in lines: ArraySlice<String>) -> String? {
        var found: String?
        for line in lines {
            if LegalChunker.marker(of: line) != nil { break }
            guard line.range(of: #"^(Disp[õo]e|Institui|Cria|Aprova|Regulamenta)\b"#, options: .regularExpression) != nil else { continue }
            let ns = line as NSString
            if let match = name.firstMatch(in: line, range: NSRange(location: 0, length: ns.length)) {
                found = ns.substring(with: match.range(at: 1)).trimmingCharacters(in: .whitespaces)
            }
        }
        return found
    }
}
