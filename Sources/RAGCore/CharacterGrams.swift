import Foundation

/// Sub-word overlap between a question and candidate chunks (the character-trigram component of
/// the CXM25 lexical scorer, PyPI `cxm25`): each keyword term is cut into its character trigrams (a
/// term of three characters or fewer stays whole), and a chunk scores the share of the question's
/// trigram weight it holds, a trigram weighing more the fewer candidates hold it. Stems that differ by a
/// derivation ("desempregada" → "desempreg", "emprego" → "empreg") or a typo still share most of
/// their trigrams, where BM25 over whole stems sees nothing in common.
public struct CharacterGrams: Sendable {
    /// The question's trigrams.
    private let grams: Set<UInt64>

    /// The trigrams of the question's keyword `terms`.
    public init<Terms: Sequence<String>>(terms: Terms) {
        grams = Self.grams(of: terms)
    }

    /// For each candidate (given by its keyword terms), the share (0…1) of the question's trigram
    /// weight it holds; trigram weights are BM25's IDF among the candidates, at least 0.1. All 0
    /// when the question has no trigram.
    public func overlap(_ candidates: [Set<String>]) -> [Double] {
        let held = candidates.map { Self.grams(of: $0) }
        let count = Double(held.count)
        var weights: [UInt64: Double] = [:]
        for gram in grams {
            let holding = Double(held.count { $0.contains(gram) })
            weights[gram] = max(0.1, log(1 + (count - holding + 0.5) / (holding + 0.5)))
        }
        let total = weights.values.reduce(0, +)
        guard total > 0 else { return held.map { _ in 0 } }
        return held.map { candidate in weights.reduce(0) { $0 + (candidate.contains($1.key) ? $1.value : 0) } / total }
    }

    /// Each term's trigrams, three Unicode scalars packed into 63 bits (a shorter term packed
    /// whole: no trigram starts with the zero scalar, so it collides with none).
    static func grams<Terms: Sequence<String>>(of terms: Terms) -> Set<UInt64> {
        var grams = Set<UInt64>()
        for term in terms {
            let scalars = term.unicodeScalars.map { UInt64($0.value) }
            guard scalars.count > 3 else {
                if !scalars.isEmpty { grams.insert(scalars.reduce(0) { $0 << 21 | $1 }) }
                continue
            }
            for start in 0...(scalars.count - 3) {
                grams.insert(scalars[start] << 42 | scalars[start + 1] << 21 | scalars[start + 2])
            }
        }
        return grams
    }
}
