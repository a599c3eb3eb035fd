import Foundation

/// Makes a follow-up question standalone before retrieval, deterministically: "E quanto custa?"
/// after "Qual o procedimento para renovação da CNH?" becomes "Quanto custa o procedimento para
/// renovação da CNH?". A question is a follow-up when it opens with "e"/"mas e", points back
/// ("isso", "dela", "o mesmo"…) or is too short to name its subject; its subject is then the
/// previous standalone question without its interrogative opening. Other questions stand alone.
public enum FollowUp {
    /// `question` standalone, given the conversation's previous standalone question.
    public static func standalone(_ question: String, after previous: String?) -> String {
        let trimmed = question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let previous, !previous.isEmpty, isFollowUp(trimmed) else { return trimmed }
        let topic = subject(of: previous)
        guard !topic.isEmpty else { return trimmed }
        var head = withoutOpening(trimmed)
        head = head.trimmingCharacters(in: CharacterSet(charactersIn: "?!. ").union(.whitespaces))
        // "Quanto custa isso?" → the subject takes the pointer's place; otherwise it follows.
        var words = head.split(separator: " ").map(String.init)
        if let index = words.firstIndex(where: { pointers.contains(fold($0)) }) {
            words[index] = topic
        } else {
            words.append(topic)
        }
        let sentence = words.joined(separator: " ")
        return sentence.prefix(1).uppercased() + sentence.dropFirst() + "?"
    }

    /// Whether `question` depends on the one before it.
    static func isFollowUp(_ question: String) -> Bool {
        let words = question.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { fold(String($0)) }
        guard let first = words.first else { return false }
        if first == "e" || (first == "mas" && words.dropFirst().first == "e") { return true }
        if words.contains(where: pointers.contains) { return true }
        let content = words.filter { !KeywordText.stopwords.contains($0) && !interrogatives.contains($0) && $0.count > 2 }
        return content.count <= 1
    }

    /// The previous question's subject: without its interrogative opening and final mark.
    static func subject(of question: String) -> String {
        var words = question.trimmingCharacters(in: .whitespacesAndNewlines)
            .trimmingCharacters(in: CharacterSet(charactersIn: "?!. ")).split(separator: " ").map(String.init)
        // "O que é a Permissão…" → "a Permissão…"
        if words.count > 2, fold(words[0]) == "o", fold(words[1]) == "que" { words.removeFirst(2) }
        while let first = words.first, openings.contains(fold(first)) { words.removeFirst() }
        return words.joined(separator: " ")
    }

    /// `question` without its leading "e" / "mas e".
    static func withoutOpening(_ question: String) -> String {
        var words = question.split(separator: " ").map(String.init)
        if let first = words.first, fold(first) == "mas", words.count > 1, fold(words[1]) == "e" { words.removeFirst(2) }
        if let first = words.first, fold(first.trimmingCharacters(in: .punctuationCharacters)) == "e" { words.removeFirst() }
        return words.joined(separator: " ")
    }

    static func fold(_ word: String) -> String {
        word.lowercased().folding(options: .diacriticInsensitive, locale: nil).trimmingCharacters(in: .punctuationCharacters)
    }

    /// Words that point back to the previous question's subject.
    static let pointers: Set<String> = [
        "isso", "isto", "disso", "nisso", "desse", "dessa", "deste", "desta", "nesse", "nessa", "dele", "dela", "deles", "delas",
        "ele", "ela", "eles", "elas", "mesmo", "mesma",
    ]
    /// Interrogative words that open a question (not its subject).
    static let interrogatives: Set<String> = [
        "qual", "quais", "como", "quanto", "quantos", "quanta", "quantas", "quando", "onde", "que", "quem", "porque", "por",
    ]
    /// Words dropped from the opening of the previous question to leave its subject.
    static let openings: Set<String> = interrogatives.union([
        "e", "sao", "custa", "custam", "eu", "posso", "pode", "preciso", "devo", "tenho", "faco", "fazer", "sobre", "tempo", "dura", "vale",
    ])
}
