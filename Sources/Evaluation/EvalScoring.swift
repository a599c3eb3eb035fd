import Foundation
import RAGCore

/// The judgements of one question: where its expected location ranked, which facts an answer
/// holds, which figures of an answer no source supports.
public enum EvalScoring {
    /// The 1-based rank of the first source that is where `expected` says, or nil.
    public static func rank(of expected: Expectation, in sources: [EvalSource]) -> Int? {
        sources.firstIndex { matches(expected, $0) }.map { $0 + 1 }
    }

    /// Whether `source` is in the expected document, covers an expected article and contains the
    /// expected passage (each only when given).
    public static func matches(_ expected: Expectation, _ source: EvalSource) -> Bool {
        if let document = expected.document, !isDocument(document, source) { return false }
        if !expected.articles.isEmpty, ArticleNumber.covered(location: source.location, text: source.text).isDisjoint(with: expected.articles) {
            return false
        }
        if let passage = expected.passage, !FactNormalizer.contains(source.text, fact: passage) { return false }
        return true
    }

    /// "l8069-eca.htm" names "leis/l8069-eca.htm"; a title may be named too.
    public static func isDocument(_ name: String, _ source: EvalSource) -> Bool {
        source.document == name || source.document.hasSuffix("/" + name)
            || (source.document as NSString).lastPathComponent == (name as NSString).lastPathComponent
            || KeywordText.fold(source.title) == KeywordText.fold(name)
    }

    /// The facts missing from `answer`.
    public static func missingFacts(_ facts: [String], in answer: String) -> [String] {
        facts.filter { !FactNormalizer.contains(answer, fact: $0) }
    }

    /// Whether `text` is the chatbot's refusal.
    public static func isRefusal(_ text: String) -> Bool {
        let refusal = FactNormalizer.words(Answerer.refusal).prefix(3)
        return FactNormalizer.words(text).starts(with: refusal)
    }

    /// Figures in `answer` (see `AnswerVerifier`) that appear in neither the evidence nor the
    /// question, each once.
    public static func unsupportedFigures(in answer: String, evidence: [String], question: String) -> [String] {
        var seen = Set<String>()
        return AnswerVerifier(evidence: evidence, question: question).unsupportedFigures(in: answer).filter { seen.insert($0).inserted }
    }
}
