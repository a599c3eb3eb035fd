import Foundation

/// The keyword side of a question: its content words, and identifier phrases ("art 147",
/// "resolução 789", "lei 9503") that must match together.
public struct KeywordQuery: Sendable, Equatable {
    public var terms: [String]
    public var phrases: [[String]]

    public init(_ question: String) {
        let words = Self.words(of: question)
        terms = Array(NSOrderedSet(array: words.filter { !Self.stopwords.contains($0) })) as! [String]
        var phrases: [[String]] = []
        for (index, word) in words.enumerated() where Self.identifierHeads.contains(word) {
            // "art. 147", "resolução contran nº 789", "lei nº 9.503": the head and the next number.
            if let number = words[(index + 1)...].prefix(3).first(where: { $0.first?.isNumber == true }) {
                phrases.append([Self.canonicalHead(word), number])
            }
        }
        self.phrases = phrases
    }

    public var isEmpty: Bool { terms.isEmpty && phrases.isEmpty }

    /// Lower-cased words and numbers; "9.503" and "147º" become "9503" and "147".
    static func words(of text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if character == ".", current.last?.isNumber == true {
                continue  // thousands separator inside a number
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.map { word in
            word.first?.isNumber == true ? String(word.prefix { $0.isNumber }) : word
        }
    }

    private static func canonicalHead(_ word: String) -> String {
        switch word {
        case "artigo", "arts": "art"
        case "resolucao": "resolução"
        default: word
        }
    }

    static let identifierHeads: Set<String> = [
        "art", "arts", "artigo", "resolução", "resolucao", "lei", "decreto", "portaria", "deliberação", "inciso", "anexo",
    ]

    static let stopwords: Set<String> = [
        "a", "à", "ao", "aos", "as", "às", "o", "os", "um", "uma", "uns", "umas", "de", "da", "do", "das", "dos", "dum", "duma",
        "em", "na", "no", "nas", "nos", "num", "numa", "por", "pela", "pelo", "pelas", "pelos", "para", "pra", "com", "sem",
        "e", "ou", "que", "se", "é", "ser", "são", "foi", "há", "ter", "tem", "qual", "quais", "como", "quando", "onde",
        "quanto", "quantos", "quantas", "meu", "minha", "meus", "minhas", "eu", "você", "isso", "isto", "esse", "essa", "este",
        "esta", "mais", "muito", "já", "não", "sim", "posso", "pode", "preciso", "devo", "the", "of", "and", "to", "is", "nº", "n",
    ]
}
