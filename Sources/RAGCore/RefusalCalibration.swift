import DocumentIngestion
import Foundation

/// Where a collection draws the line between questions it answers and questions it refuses,
/// measured on the collection itself after each sync: the best passage similarity reached by a
/// shipped bank of questions from outside any legal collection (everyday life, public services,
/// other areas of law — `perguntas-fora-do-dominio.txt`), which must be refused, and by
/// pseudo-questions made from the collection's own units, which must not. The floor lies halfway
/// between the typical out-of-domain question (the bank's median) and the hardest pseudo-question
/// (their 5th percentile): real citizens' questions are paraphrases, further from the law's
/// wording than pseudo-questions, and a wrongly refused question costs more than a quoted passage
/// that does not quite answer (the quote never invents anything).
public struct RefusalCalibration: Sendable, Codable, Equatable {
    /// Best passage similarity of the out-of-domain bank: 50th, 90th, 95th percentile, highest.
    public var outside: [Float]
    /// Best passage similarity of the pseudo-questions: 5th and 50th percentile.
    public var inside: [Float]
    /// Refuse below this best passage similarity.
    public var floor: Float
    /// The method's version: a calibration from another version is computed again.
    public var version: Int

    static let currentVersion = 4
    static let outsideQuantile = 0.5
    static let insideQuantile = 0.05
    /// Pseudo-questions drawn from the collection (evenly over its chunks): the floor rests on
    /// their 5th percentile, which 48 of them left to a few chunks (on the development statutes,
    /// ±0.002 of floor and 2 → 9 in-scope questions refused when three chunks changed).
    static let pseudoQuestions = 240
    /// Words of a unit that make its pseudo-question.
    static let pseudoQuestionWords = 14

    /// Refuse a question asking for a figure below this: a passage closer than 95 % of the
    /// out-of-domain bank's best (so that about 1 in 20 such questions gets a figure at most), yet
    /// never above the typical pseudo-question's.
    public var figureFloor: Float {
        guard outside.count > 2, inside.count > 1 else { return floor }
        return max(floor, min(outside[2], inside[1]))
    }

    /// A table's row about what was asked answers above the typical out-of-domain question.
    public var recordFloor: Float { outside.first ?? floor }

    public var policy: RefusalPolicy { RefusalPolicy(similarityFloor: floor, figureFloor: figureFloor, recordFloor: recordFloor) }

    /// Calibrates the collection `retriever` searches (its vectors loaded).
    public static func compute(retriever: Retriever, store: any IndexStore, bank: [String], topK: Int) async throws -> RefusalCalibration {
        var outside: [Float] = []
        for question in bank {
            outside.append(try await retriever.retrieval(question, topK: topK).sources.map(\.similarity).max() ?? 0)
        }
        let ids = try await store.vectors().ids
        let step = max(1, ids.count / pseudoQuestions)
        let sample = stride(from: 0, to: ids.count, by: step).prefix(pseudoQuestions).map { ids[$0] }
        var inside: [Float] = []
        for chunk in try await store.chunks(ids: sample) {
            guard let question = pseudoQuestion(from: chunk.text) else { continue }
            inside.append(try await retriever.retrieval(question, topK: topK).sources.map(\.similarity).max() ?? 0)
        }
        outside.sort()
        inside.sort()
        let typicalOutside = quantile(outside, outsideQuantile)
        let hardestInside = inside.isEmpty ? typicalOutside : quantile(inside, insideQuantile)
        let floor = (typicalOutside + max(typicalOutside, hardestInside)) / 2
        return RefusalCalibration(
            outside: [quantile(outside, 0.5), quantile(outside, 0.9), quantile(outside, 0.95), outside.last ?? 0],
            inside: [quantile(inside, 0.05), quantile(inside, 0.5)], floor: floor, version: currentVersion)
    }

    /// A question-like line from a chunk: the opening words of its longest unit, its label gone;
    /// of a table's row, its values (a citizen names the infraction, not the columns).
    static func pseudoQuestion(from text: String) -> String? {
        let lines = text.components(separatedBy: "\n")
        let longest = lines.max { $0.count < $1.count } ?? text
        let isRow = TableText.isRow(longest)
        let line = isRow ? TableText.values(of: longest).replacingOccurrences(of: "; ", with: " ") : longest
        let words = line.components(separatedBy: " ").filter { word in word.contains { $0.isLetter } }
        // A device's label goes ("Art. 1º O …"); a row has none (its first value is its subject).
        let content = (isRow ? words[...] : words.drop { !$0.first!.isLowercase }).prefix(pseudoQuestionWords)
        return content.count < 4 ? nil : content.joined(separator: " ") + "?"
    }

    /// The value at quantile `q` of sorted `values` (0 when empty).
    static func quantile(_ values: [Float], _ q: Double) -> Float {
        guard !values.isEmpty else { return 0 }
        return values[min(values.count - 1, Int((q * Double(values.count - 1)).rounded()))]
    }

    /// The shipped bank of out-of-domain questions (one per line; `#` comments).
    public static func bank() throws -> [String] {
        guard let url = Bundle.module.url(forResource: "perguntas-fora-do-dominio", withExtension: "txt") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "perguntas-fora-do-dominio.txt"])
        }
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
