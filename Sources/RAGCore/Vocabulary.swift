import Foundation

/// A collection's everyday ↔ legal vocabulary: when a question uses an everyday term
/// ("bafômetro", "carteira", "asilo"), the terms the documents use ("etilômetro", "Carteira
/// Nacional de Habilitação", "instituição de longa permanência") are searched too. One editable
/// text file per collection, one rule per line:
///
///     # comment
///     bafômetro, bafometro => etilômetro, teste de alcoolemia
///
/// Terms match whole words, accents, case and inflection aside (stems), anywhere in the question.
public struct Vocabulary: Sendable, Equatable {
    struct Rule: Sendable, Equatable {
        /// Each everyday term as its sequence of stems.
        var everyday: [[String]]
        var legal: [String]
    }

    var rules: [Rule]

    public static let empty = Vocabulary(rules: [])

    init(rules: [Rule]) {
        self.rules = rules
    }

    /// A line of the file that is not a rule.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var line: Int
        public var text: String
        public var description: String { "vocabulary line \(line) is not 'everyday terms => legal terms': \(text)" }
    }

    /// Parses the file format above.
    public init(parsing text: String) throws(ParseError) {
        var rules: [Rule] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let sides = line.components(separatedBy: "=>")
            let split = { (side: String) in side.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            guard sides.count == 2 else { throw ParseError(line: number + 1, text: line) }
            let everyday = split(sides[0]).map { KeywordText.words(of: $0).map(KeywordText.stem) }.filter { !$0.isEmpty }
            let legal = split(sides[1])
            guard !everyday.isEmpty, !legal.isEmpty else { throw ParseError(line: number + 1, text: line) }
            rules.append(Rule(everyday: everyday, legal: legal))
        }
        self.init(rules: rules)
    }

    /// Reads the vocabulary at `url`.
    public init(contentsOf url: URL) throws {
        try self.init(parsing: String(contentsOf: url, encoding: .utf8))
    }

    /// The vocabulary Guichê ships (transit and CNH, children and adolescents, older people,
    /// general legal wording).
    public static func builtIn() throws -> Vocabulary {
        try Vocabulary(parsing: builtInText())
    }

    /// Adds `other`'s rules (a collection's own file on top of the built-in one).
    public mutating func add(_ other: Vocabulary) {
        rules += other.rules
    }

    /// The text of the vocabulary Guichê ships.
    public static func builtInText() throws -> String {
        guard let url = Bundle.module.url(forResource: "vocabulario", withExtension: "txt") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "vocabulario.txt (RAGCore resources)"])
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The legal terms the question's everyday terms call for, without repeats.
    public func expansion(of question: String) -> [String] {
        let stems = KeywordText.words(of: question).map(KeywordText.stem)
        var added: [String] = []
        for rule in rules where rule.everyday.contains(where: { Self.contains(stems, $0) }) {
            for term in rule.legal where !added.contains(term) { added.append(term) }
        }
        return added
    }

    private static func contains(_ stems: [String], _ phrase: [String]) -> Bool {
        guard !phrase.isEmpty, stems.count >= phrase.count else { return false }
        return (0...(stems.count - phrase.count)).contains { Array(stems[$0..<($0 + phrase.count)]) == phrase }
    }
}
