import Foundation

/// One question of an evaluation set — a line of a JSONL file:
///
///     {"id": "eca-002", "pergunta": "…", "esperado": {"documento": "l8069-eca.htm", "artigos": ["Art. 42"]},
///      "fatos": ["16 anos"], "fora_do_escopo": false}
///
/// `esperado` may also be a string or a list of strings, each an article ("Art. 42", "art 244-A")
/// or a document (a file name or path in the data folder); `{"trecho": "…"}` asks for a passage
/// containing that text (FaQuAD). Out-of-scope questions have `"fora_do_escopo": true` and no
/// `esperado`.
public struct EvalQuestion: Sendable, Equatable {
    public var id: String
    public var question: String
    public var expected: Expectation?
    /// Key facts every correct answer contains (see `FactNormalizer`).
    public var facts: [String]
    public var outOfScope: Bool
    /// A free label ("parafrase", "multi", …) for the per-kind totals.
    public var kind: String?

    public init(id: String, question: String, expected: Expectation?, facts: [String] = [], outOfScope: Bool = false, kind: String? = nil) {
        self.id = id
        self.question = question
        self.expected = expected
        self.facts = facts
        self.outOfScope = outOfScope
        self.kind = kind
    }
}

/// Where the answer to a question lives.
public struct Expectation: Sendable, Equatable {
    /// A document's file name or path (relative to the data folder); nil: any document.
    public var document: String?
    /// Article numbers as `ArticleNumber` spells them ("42", "244-A"); empty: the whole document.
    public var articles: [String]
    /// Text a source must contain (folded), for sets that mark answers by span.
    public var passage: String?

    public init(document: String? = nil, articles: [String] = [], passage: String? = nil) {
        self.document = document
        self.articles = articles
        self.passage = passage
    }
}

/// A question file that cannot be read, with the line at fault.
public struct EvalSetError: Error, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var reason: String
    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(reason)" }
}

extension EvalQuestion {
    private struct Line: Decodable {
        var id: String?
        var pergunta: String
        var esperado: Expected?
        var fatos: [String]?
        var foraDoEscopo: Bool?
        var tipo: String?

        enum CodingKeys: String, CodingKey {
            case id, pergunta, esperado, fatos, tipo
            case foraDoEscopo = "fora_do_escopo"
        }
    }

    private enum Expected: Decodable {
        case items([String])
        case object(documento: String?, artigos: [String], trecho: String?)

        private enum Keys: String, CodingKey { case documento, artigos, trecho }

        init(from decoder: Decoder) throws {
            if let single = try? decoder.singleValueContainer().decode(String.self) {
                self = .items([single])
            } else if let list = try? decoder.singleValueContainer().decode([String].self) {
                self = .items(list)
            } else {
                let object = try decoder.container(keyedBy: Keys.self)
                self = .object(
                    documento: try object.decodeIfPresent(String.self, forKey: .documento),
                    artigos: try object.decodeIfPresent([String].self, forKey: .artigos) ?? [],
                    trecho: try object.decodeIfPresent(String.self, forKey: .trecho))
            }
        }
    }

    /// The questions of a JSONL file (blank lines and lines starting with `//` skipped).
    public static func load(_ path: String) throws(EvalSetError) -> [EvalQuestion] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw EvalSetError(file: path, line: nil, reason: "cannot read: \(error.localizedDescription)")
        }
        var questions: [EvalQuestion] = []
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("//") { continue }
            do {
                questions.append(try parse(line, defaultID: "\(name)-\(index + 1)"))
            } catch let error as EvalSetError {
                throw EvalSetError(file: path, line: index + 1, reason: error.reason)
            } catch {
                throw EvalSetError(file: path, line: index + 1, reason: "\(error)")
            }
        }
        guard !questions.isEmpty else { throw EvalSetError(file: path, line: nil, reason: "no questions") }
        return questions
    }

    static func parse(_ line: String, defaultID: String) throws -> EvalQuestion {
        let decoded: Line
        do {
            decoded = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
        } catch let DecodingError.keyNotFound(key, _) {
            throw EvalSetError(file: "", line: nil, reason: "missing field '\(key.stringValue)'")
        } catch {
            throw EvalSetError(file: "", line: nil, reason: "not a question object (pergunta, esperado, fatos, fora_do_escopo)")
        }
        guard !decoded.pergunta.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw EvalSetError(file: "", line: nil, reason: "empty 'pergunta'")
        }
        var expectation: Expectation?
        switch decoded.esperado {
        case .items(let items):
            var result = Expectation()
            for item in items {
                if let article = ArticleNumber.parse(item) { result.articles.append(article) } else { result.document = item }
            }
            expectation = result
        case .object(let document, let articles, let passage):
            var result = Expectation(document: document, passage: passage)
            for article in articles {
                guard let number = ArticleNumber.parse(article) else {
                    throw EvalSetError(file: "", line: nil, reason: "'\(article)' is not an article (write it as \"Art. 42\")")
                }
                result.articles.append(number)
            }
            expectation = result
        case nil:
            expectation = nil
        }
        let outOfScope = decoded.foraDoEscopo ?? false
        if !outOfScope && expectation == nil {
            throw EvalSetError(file: "", line: nil, reason: "'esperado' is required unless 'fora_do_escopo' is true")
        }
        return EvalQuestion(
            id: decoded.id ?? defaultID, question: decoded.pergunta, expected: outOfScope ? nil : expectation,
            facts: decoded.fatos ?? [], outOfScope: outOfScope, kind: decoded.tipo)
    }
}
