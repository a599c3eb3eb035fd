import Foundation

/// Checks the chat model's answer against the evidence it was given: every figure a sentence
/// states — numbers, amounts, durations, ages, percentages, article numbers (all normalised as
/// `FactNormalizer` does: "trinta dias" is "30 dias") and driving-licence categories ("categoria
/// B") — must appear in the evidence or in the question; most of its words (stemmed) must appear in
/// the evidence (not merely in the question: a question restated as a statement asserts what it
/// asked), and a negation must have one in the evidence: otherwise the sentence is dropped. A model that
/// declines ("Não encontrei…") is noticed, so that the evidence can answer instead.
public struct AnswerVerifier: Sendable {
    private let supported: Set<String>
    /// The evidence's normalised words, to recognise a sentence that only repeats it.
    private let evidenceWords: [[String]]
    /// Stemmed terms of the evidence.
    private let terms: Set<String>
    private let evidenceNegates: Bool
    /// Share of a sentence's terms the evidence must hold.
    static let minimumTermSupport = 0.75

    public init(evidence: [EvidenceUnit], question: String) {
        self.init(evidence: evidence.map(\.cited), question: question)
    }

    /// A verifier for answers to `question` from `evidence` texts.
    public init(evidence: [String], question: String) {
        let texts = evidence + [question]
        supported = Set(texts.flatMap(Self.figures))
        evidenceWords = evidence.map(FactNormalizer.words)
        terms = Set(evidence.flatMap(KeywordText.terms))
        evidenceNegates = evidenceWords.contains { $0.contains(where: Self.negations.contains) }
    }

    /// Whether `sentence` only says what the evidence supports: its figures (the question's count
    /// too), most of its terms, and any negation; and is not a question.
    public func supports(_ sentence: String) -> Bool {
        // A question ("Para quem?") answers nothing.
        guard unsupportedFigures(in: sentence).isEmpty, !sentence.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("?") else {
            return false
        }
        if !evidenceNegates, FactNormalizer.words(sentence).contains(where: Self.negations.contains) { return false }
        let sentenceTerms = KeywordText.terms(of: sentence.replacingOccurrences(of: #"\[\d+\]"#, with: " ", options: .regularExpression))
        guard !sentenceTerms.isEmpty else { return true }
        return Double(sentenceTerms.count(where: terms.contains)) >= Self.minimumTermSupport * Double(sentenceTerms.count)
    }

    private static let negations: Set<String> = ["nao", "nunca", "nenhum", "nenhuma", "vedado", "vedada", "proibido", "proibida", "nem"]

    /// Whether `sentence` repeats the evidence (a citation, a unit) rather than answering: the
    /// evidence is quoted under the answer anyway. Most of its words run on in one evidence text.
    public func isCopy(_ sentence: String) -> Bool {
        let words = FactNormalizer.words(sentence)
        guard words.count >= 4 else { return false }
        let grams = Set(zip(words, zip(words.dropFirst(), words.dropFirst(2))).map { [$0, $1.0, $1.1] })
        return evidenceWords.contains { text in
            let shared = Set(zip(text, zip(text.dropFirst(), text.dropFirst(2))).map { [$0, $1.0, $1.1] }).intersection(grams)
            return Double(shared.count) >= 0.8 * Double(grams.count)
        }
    }

    /// The figures of `text` that the evidence does not state.
    public func unsupportedFigures(in text: String) -> [String] {
        Self.figures(in: text).filter { !supported.contains($0) }
    }

    /// Figures in `text`: normalised numbers, "categoria b" and "r 10" (R$) pairs. Citation markers ("[2]")
    /// and list numbers ("1. ") are not figures.
    static func figures(in text: String) -> [String] {
        let cleaned = text.replacingOccurrences(of: #"\[\d+\]"#, with: " ", options: .regularExpression)
            .replacingOccurrences(of: #"(?m)^\s*\d+[.)]\s"#, with: " ", options: .regularExpression)
        let words = FactNormalizer.words(cleaned)
        var figures: [String] = words.filter { $0.first?.isNumber == true }
        for (word, next) in zip(words, words.dropFirst()) {
            if word.hasPrefix("categoria") && next.count == 1 && "abcde".contains(next) { figures.append("categoria \(next)") }
            // An amount ("R$ 10,00") is supported by an amount, not by "10 dias".
            if word == "r" && next.first?.isNumber == true { figures.append("r \(next)") }
        }
        return figures
    }

    /// Whether `text` is the model declining to answer.
    public static func isDecline(_ text: String) -> Bool {
        let folded = " " + FactNormalizer.words(text).joined(separator: " ") + " "
        return declines.contains { folded.contains(" \($0) ") }
    }

    private static let declines = [
        "nao encontrei", "nao ha informac", "nao ha informacao", "nao ha informacoes", "nao foi possivel", "nao consta", "nao constam",
        "nao esta no contexto", "nao e mencionad", "nao ha mencao", "nao tenho informac", "nao tenho informacao", "nao menciona",
        "nao mencionam", "nao especifica", "nao especificam", "nao fornece", "nao fornecem", "nao contem", "nao possuo",
    ]
}

/// Splits streamed text into whole sentences as they complete, so that each can be verified before
/// it is sent.
struct SentenceBuffer {
    private var pending = ""

    /// The sentences `piece` completes, each with the whitespace that follows it.
    mutating func feed(_ piece: String) -> [String] {
        pending += piece
        var sentences: [String] = []
        // A boundary at the very end waits for the next piece: "art. " may go on with "147".
        while let end = pending.firstMatch(of: Self.boundary), end.range.upperBound < pending.endIndex {
            sentences.append(String(pending[..<end.range.upperBound]))
            pending.removeSubrange(..<end.range.upperBound)
        }
        return sentences
    }

    /// What is left at the end (a last sentence without a full stop).
    mutating func flush() -> String? {
        defer { pending = "" }
        return pending.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : pending
    }

    /// The end of a sentence: ".", "!", "?" or ";" followed by whitespace, or a line break.
    nonisolated(unsafe) private static let boundary = /[.!?;](?:\s+)(?!\d)|\n+/
}
