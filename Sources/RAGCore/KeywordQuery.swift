import Foundation

/// The keyword side of a question: its terms (see `KeywordText`), terms the collection's
/// vocabulary adds for its everyday words, and identifier phrases ("art 147", "lei 9503") that
/// must match together.
public struct KeywordQuery: Sendable, Equatable {
    public var terms: [String]
    public var phrases: [[String]]

    public init(_ question: String, vocabulary: Vocabulary = .empty) {
        let words = KeywordText.words(of: question)
        let expansion = vocabulary.expansion(of: question)
        terms = Self.unique(KeywordText.terms(of: question) + KeywordText.terms(of: expansion.joined(separator: " ")))
        var phrases: [[String]] = []
        for (index, word) in words.enumerated() where Self.identifierHeads.contains(word) {
            // "art. 147", "resolução contran nº 789", "lei nº 9.503": the head and the next number.
            if let number = words[(index + 1)...].prefix(3).first(where: { $0.first?.isNumber == true }) {
                phrases.append([KeywordText.stem(word), number])
            }
        }
        self.phrases = phrases
    }

    public var isEmpty: Bool { terms.isEmpty && phrases.isEmpty }

    private static func unique(_ terms: [String]) -> [String] {
        var seen = Set<String>()
        return terms.filter { seen.insert($0).inserted }
    }

    /// Folded words that announce an identifier.
    static let identifierHeads: Set<String> = [
        "art", "arts", "artigo", "resolucao", "lei", "decreto", "portaria", "deliberacao", "inciso", "anexo",
    ]
}
