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

    /// The question with each everyday term replaced by the first legal term of its rule
    /// ("posso recusar o bafômetro?" → "posso recusar o etilômetro?"), or nil when none occurs.
    public func rewrite(_ question: String) -> String? {
        var words: [(range: Range<String.Index>, stem: String)] = []
        var start: String.Index?
        for index in question.indices {
            let isWord = question[index].isLetter || question[index].isNumber
            if isWord, start == nil { start = index }
            if !isWord, let begin = start {
                words.append((begin..<index, KeywordText.stem(String(question[begin..<index]))))
                start = nil
            }
        }
        if let begin = start { words.append((begin..<question.endIndex, KeywordText.stem(String(question[begin...])))) }
        var replacements: [(Range<String.Index>, String)] = []
        var position = 0
        while position < words.count {
            var matched = false
            for rule in rules {
                for phrase in rule.everyday where position + phrase.count <= words.count
                    && Array(words[position..<(position + phrase.count)].map(\.stem)) == phrase {
                    replacements.append((words[position].range.lowerBound..<words[position + phrase.count - 1].range.upperBound, rule.legal[0]))
                    position += phrase.count
                    matched = true
                    break
                }
                if matched { break }
            }
            if !matched { position += 1 }
        }
        guard !replacements.isEmpty else { return nil }
        var result = question
        for (range, legal) in replacements.reversed() { result.replaceSubrange(range, with: legal) }
        return result
    }

    private static func contains(_ stems: [String], _ phrase: [String]) -> Bool {
        guard !phrase.isEmpty, stems.count >= phrase.count else { return false }
        return (0...(stems.count - phrase.count)).contains { Array(stems[$0..<($0 + phrase.count)]) == phrase }
    }
}
