import Foundation

/// How answers and key facts are compared: lower case, accents folded, numbers written in words
/// turned into digits ("sessenta e cinco anos" → "65 anos"), a number followed by itself in words
/// kept once ("30 (trinta) dias" → "30 dias"), thousands separators and ",00" cents dropped
/// ("R$ 1.000,00" → "r 1000"), "por cento" → "%", punctuation ignored. A fact is present when
/// its words appear in the answer's words, in order and together.
public enum FactNormalizer {
    /// The normalised words of `text`.
    public static func words(_ text: String) -> [String] {
        var folded = KeywordText.fold(text)
        folded = folded.replacingOccurrences(of: #"(\d),00\b"#, with: "$1", options: .regularExpression)
        folded = folded.replacingOccurrences(of: #"\bpor cento\b"#, with: "%", options: .regularExpression)
        // "%" is not a word character: it travels through the tokenizer as "pct".
        let tokens = KeywordText.words(of: folded.replacingOccurrences(of: "%", with: " pct "))
            .map { $0 == "pct" ? "%" : $0 }
        return numbers(in: tokens)
    }

    /// `tokens` with runs of number words as digits (`numbersFromWords`) and a number written
    /// twice kept once ("30 (trinta)" became "30 30"). `key` gives each token's folded form.
    static func numbers(in tokens: [String], key: (String) -> String = { $0 }) -> [String] {
        var result: [String] = []
        for token in numbersFromWords(tokens, key: key) where !(token.first?.isNumber == true && result.last == token) {
            result.append(token)
        }
        return result
    }

    /// Whether `fact` is present in `answer`.
    public static func contains(_ answer: String, fact: String) -> Bool {
        let haystack = words(answer), needle = words(fact)
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    private static let units: [String: Int] = [
        "zero": 0, "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6, "sete": 7, "oito": 8,
        "nove": 9, "dez": 10, "onze": 11, "doze": 12, "treze": 13, "quatorze": 14, "catorze": 14, "quinze": 15,
        "dezesseis": 16, "dezessete": 17, "dezoito": 18, "dezenove": 19, "vinte": 20, "trinta": 30, "quarenta": 40,
        "cinquenta": 50, "sessenta": 60, "setenta": 70, "oitenta": 80, "noventa": 90, "cem": 100, "cento": 100,
        "duzentos": 200, "duzentas": 200, "trezentos": 300, "trezentas": 300, "quatrocentos": 400, "quatrocentas": 400,
        "quinhentos": 500, "quinhentas": 500, "seiscentos": 600, "seiscentas": 600, "setecentos": 700, "setecentas": 700,
        "oitocentos": 800, "oitocentas": 800, "novecentos": 900, "novecentas": 900,
    ]

    /// Whether the words after a lone "um"/"uma" make it a figure: a unit of time or money, or
    /// "a"/"e" and another number.
    private static func oneCounts(_ next: ArraySlice<String>) -> Bool {
        guard let first = next.first else { return false }
        if oneUnits.contains(first) { return true }
        guard ["a", "e"].contains(first), let second = next.dropFirst().first else { return false }
        return second.first?.isNumber == true || (units[second] != nil && !["um", "uma"].contains(second))
    }

    private static let oneUnits: Set<String> = [
        "ano", "mes", "dia", "hora", "semana", "minuto", "salario", "real", "decimo", "terco", "quarto", "quinto", "sexto",
    ]

    /// Runs of number words ("cento e vinte", "dois mil e quinhentos") as one number. "um"/"uma"
    /// alone stay words ("uma vez" is not a figure worth comparing), unless followed by "mil", a
    /// unit ("um ano") or a range ("um a quatro"), or following "1".
    /// `key` gives the folded form each token is looked up by; tokens that are not numbers come
    /// back as they were.
    static func numbersFromWords(_ tokens: [String], key: (String) -> String = { $0 }) -> [String] {
        let keys = tokens.map(key)
        var result: [String] = []
        var index = 0
        while index < tokens.count {
            var total = 0, group = 0, consumed = 0, sawNumber = false, last = 0
            var cursor = index
            while cursor < tokens.count {
                let token = keys[cursor]
                if let value = units[token] {
                    group += value
                    last = value
                    sawNumber = true
                    cursor += 1
                    consumed = cursor
                } else if token == "mil" {
                    total += max(group, 1) * 1000
                    group = 0
                    last = 1000
                    sawNumber = true
                    cursor += 1
                    consumed = cursor
                } else if token == "e", sawNumber, cursor + 1 < tokens.count, let next = units[keys[cursor + 1]], last >= 20, next < last {
                    // "vinte e um", "cento e vinte": a smaller number joins a ten or a hundred; "um e três" are two.
                    cursor += 1
                } else {
                    break
                }
            }
            // … except right after "1" ("1 (um) ano" is the number written twice, as "30 (trinta) dias"
            // is), before a unit ("validade de um ano") and opening a range ("de um a quatro anos").
            let lone = consumed == index + 1 && ["um", "uma"].contains(keys[index]) && result.last != "1"
                && !(consumed < keys.count && oneCounts(keys[consumed...].prefix(2)))
            if sawNumber && consumed > index && !lone {
                result.append(String(total + group))
                index = consumed
            } else {
                result.append(tokens[index])
                index += 1
            }
        }
        return result
    }
}
