import Foundation
import RAGCore

/// FaQuAD (SQuAD v1.1 format: articles of paragraphs, each with extractive questions) as an
/// evaluation set: one text document per article, its paragraphs separated by blank lines; a
/// question is a hit when a source contains its first gold answer.
public enum FaQuAD {
    public struct Set: Sendable {
        /// File name → text.
        public var documents: [(name: String, text: String)]
        public var questions: [EvalQuestion]
    }

    private struct File: Decodable {
        struct Article: Decodable {
            var title: String
            var paragraphs: [Paragraph]
        }
        struct Paragraph: Decodable {
            var context: String
            var qas: [Question]
        }
        struct Question: Decodable {
            var id: String
            var question: String
            var answers: [Answer]
        }
        struct Answer: Decodable {
            var text: String
        }
        var data: [Article]
    }

    public static func load(_ path: String) throws(EvalSetError) -> Set {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw EvalSetError(file: path, line: nil, reason: "not a SQuAD v1.1 file: \(error)")
        }
        var documents: [(String, String)] = []
        var questions: [EvalQuestion] = []
        for (index, article) in file.data.enumerated() {
            let slug = FileSlug.make(article.title)
            let name = String(format: "%03d-%@.txt", index + 1, slug)
            documents.append((name, article.paragraphs.map(\.context).joined(separator: "\n\n")))
            for paragraph in article.paragraphs {
                for qa in paragraph.qas {
                    guard let answer = qa.answers.first?.text else { continue }
                    questions.append(EvalQuestion(
                        id: qa.id, question: qa.question, expected: Expectation(document: name, passage: answer), kind: "faquad"))
                }
            }
        }
        return Set(documents: documents, questions: questions)
    }
}

/// A file-name-safe form of a title.
enum FileSlug {
    static func make(_ title: String) -> String {
        let folded = KeywordText.fold(title)
        let slug = folded.map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce(into: "") { result, character in
            if character != "-" || result.last != "-" { result.append(character) }
        }
        return String(slug.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(40))
    }
}
