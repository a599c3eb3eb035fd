import Foundation

/// Checks the chat model's answer against the evidence it was given: every figure a sentence
/// states — numbers, amounts, durations, ages, percentages, article numbers (all normalised as
/// `FactNormalizer` does: "trinta dias" is "30 dias") and driving-licence categories ("categoria
/// B") — must appear in the evidence or in the question, or the sentence is dropped. A model that
/// declines ("Não encontrei…") is noticed, so that the evidence can answer instead.
public struct AnswerVerifier: Sendable {
    private let supported: Set<String>

    public init(evidence: [EvidenceUnit], question: String) {
        self.init(texts: evidence.flatMap { [$0.text, $0.citation] } + [question])
    }

    /// A verifier for figures stated in `texts`.
    public init(texts: [String]) {
        supported = Set(texts.flatMap(Self.figures))
    }

    /// The figures of `text` that the evidence does not state.
    public func unsupportedFigures(in text: String) -> [String] {
        Self.figures(in: text).filter { !supported.contains($0) }
    }

    /// Figures in `text`: normalised numbers, and "categoria b" pairs. Citation markers ("[2]")
    /// and list numbers ("1. ") are not figures.
    static func figures(in text: String) -> [String] {
        let cleaned = text.replacingOccurrences(of: #"\[\d+\]"#, with: " ", options: .regularExpression)
            .replacingOccurrences(of: #"(?m)^\s*\d+[.)]\s"#, with: " ", options: .regularExpression)
        let words = FactNormalizer.words(cleaned)
        var figures: [String] = words.filter { $0.first?.isNumber == true }
        for (word, next) in zip(words, words.dropFirst()) where word.hasPrefix("categoria") && next.count == 1 && "abcde".contains(next) {
            figures.append("categoria \(next)")
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
        while let end = pending.firstMatch(of: Self.boundary) {
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
    nonisolated(unsafe) private static let boundary = /[.!?;](?:\s+)|\n+/
}
