import DocumentIngestion
import Foundation
import LlamaRuntime

/// A passage retrieval found for a question.
public struct RetrievedSource: Sendable, Codable, Equatable {
    public var documentPath: String
    public var documentTitle: String
    public var location: String
    public var text: String
    /// Cosine similarity between the question and the passage (0…1 for related text).
    public var similarity: Float
    /// Chunk ids behind this source (several when neighbours were merged).
    public var chunkIDs: [Int64]
    /// The opening words of the article (or section) the passage belongs to, when the passage
    /// starts inside it (see `Chunk.context`).
    public var context: String?
}

extension RetrievedSource {
    /// Whether the passage comes from a spreadsheet, each row of which is a chunk of its own.
    var isSpreadsheet: Bool {
        DocumentFormat(path: documentPath)?.isSpreadsheet == true
    }

    /// Whether `line` of the passage (or the whole passage) is one table row: any line of a
    /// spreadsheet, elsewhere a line written as a row.
    func isTableRow(_ line: some StringProtocol) -> Bool { isSpreadsheet || TableText.isRow(line) }
}

/// What retrieval found for a question, with the question's embedding (the evidence selector
/// scores units against it).
public struct Retrieval: Sendable {
    public var sources: [RetrievedSource]
    /// The sources dense and keyword search alone rank first: what refusal was calibrated on. The
    /// sparse and sub-word sides rank, they do not vouch.
    public var calibratedSources: [RetrievedSource]
    /// The unit-length query vector dense search used; empty when the collection is empty.
    public var query: [Float]
    /// How long embedding the question took (the model's share of retrieval).
    public var embeddingTime: Duration
}

/// Hybrid retrieval: exact dense search (with the question, averaged with the question rewritten
/// in the law's words when the collection's vocabulary knows its everyday ones) and BM25 keyword
/// search over stemmed terms (which also catches identifiers such as "art. 147" or "Resolução 789"
/// exactly, and adds the vocabulary's legal words) and, when the embedding model has a sparse head,
/// sparse search over its latent terms; fused by a weighted sum of each side's scores scaled to 0…1
/// over its candidates; neighbouring chunks of one document are merged into one source.
public actor Retriever {
    private let store: any IndexStore
    private let embedding: any TextEmbedding
    private let vocabulary: Vocabulary
    private var index = VectorIndex(VectorSnapshot(ids: [], dimensions: 0, values: []))
    private var rowOf: [Int64: Int] = [:]
    private var sparseIndex = SparseIndex([:])
    /// Whether the collection holds a spreadsheet, whose rows a question may ask about by column.
    private var holdsSpreadsheet = false
    /// Candidates taken from each side before fusion.
    private let candidates: Int
    /// The keyword side's weight next to the dense side's 1 (measured with `guiche eval`):
    /// paraphrased questions are the dense side's strength, identifiers the keyword side's.
    static let keywordWeight = 0.6
    static let identifierKeywordWeight = 1.0
    /// The sparse side's weight (measured with `guiche eval`: it finds articles whose words differ
    /// from the question's where dense search ranks them low).
    static let sparseWeight = 0.3
    /// The sub-word side's weight (`CharacterGrams`: the share of the question's trigram weight a
    /// chunk holds, unscaled; measured with `guiche eval`, it lifts the article sharing the
    /// question's word forms among close candidates), and how many of the best fused candidates
    /// it scores.
    static let gramWeight = 0.5
    static let gramCandidates = 40
    /// What a chunk among the `figureCandidates` best gains when it states the kind of figure the
    /// question asks for (`AskedFigure`; measured with `guiche eval`: answer-type matching lifts
    /// the article that holds the asked duration, age or percentage above its neighbours in topic).
    static let figureWeight = 0.3
    static let figureCandidates = 10
    /// What one of those gains when an age condition in it holds for the age the question states,
    /// and loses when its age conditions all exclude that age (measured with `guiche eval`: the
    /// device for the asker's age band rises among its neighbours; 0.3 lost a key fact elsewhere).
    static let ageWeight = 0.15
    /// Ranked chunks read per source wanted: neighbours merge, and `topK` distinct passages remain.
    static let reachPerSource = 2
    /// Further ranked chunks read in case some repeat an article from another copy of its act.
    static let copyAllowance = 10

    /// - Parameter vocabulary: everyday ↔ legal terms added to the keyword side of a question.
    public init(store: any IndexStore, embedding: any TextEmbedding, vocabulary: Vocabulary = .empty, candidates: Int = 40) {
        self.store = store
        self.embedding = embedding
        self.vocabulary = vocabulary
        self.candidates = candidates
    }

    /// Loads the collection's vectors (after a sync).
    public func reload() async throws {
        let snapshot = try await store.vectors()
        index = VectorIndex(snapshot)
        sparseIndex = SparseIndex(snapshot.sparse)
        rowOf = Dictionary(uniqueKeysWithValues: snapshot.ids.enumerated().map { ($1, $0) })
        holdsSpreadsheet = try await store.documents().contains { DocumentFormat(path: $0.path)?.isSpreadsheet == true }
    }

    public var chunkCount: Int { index.count }

    /// The `topK` best sources for `question`, best first.
    public func retrieve(_ question: String, topK: Int) async throws -> [RetrievedSource] {
        try await retrieval(question, topK: topK).sources
    }

    /// The `topK` best sources for `question`, best first, with the question's embedding.
    public func retrieval(_ question: String, topK: Int) async throws -> Retrieval {
        guard index.count > 0, topK > 0 else { return Retrieval(sources: [], calibratedSources: [], query: [], embeddingTime: .zero) }
        let embeddingStart = ContinuousClock.now
        // The question and, when the vocabulary knows its everyday words, the question in the law's
        // words ("bafômetro" → "etilômetro"): the dense side searches with both, averaged; the sparse
        // side with the question's own.
        let rewritten = vocabulary.rewrite(question)
        let vectors = try await embedding.vectors([question] + (rewritten.map { [$0] } ?? []), kind: .query, sparseCount: 1)
        let query = Self.mean(vectors.map(\.dense))
        let embeddingTime = ContinuousClock.now - embeddingStart
        let dense = index.search(query, k: candidates)
        let sparse = vectors[0].sparse.map { sparseIndex.search($0, k: candidates) } ?? []
        let keywordQuery = KeywordQuery(question, vocabulary: vocabulary)
        let keyword = try await store.keywordSearch(keywordQuery, limit: candidates)
        let keywordWeight = keywordQuery.phrases.isEmpty ? Self.keywordWeight : Self.identifierKeywordWeight
        var fused: [Int64: Double] = [:]
        for (hit, score) in zip(dense, Self.scaled(dense.map { Double($0.similarity) })) { fused[hit.id, default: 0] += score }
        for (hit, score) in zip(keyword, Self.scaled(keyword.map(\.score))) { fused[hit.id, default: 0] += keywordWeight * score }
        let calibrated = fused
        for (hit, score) in zip(sparse, Self.scaled(sparse.map { Double($0.score) })) { fused[hit.id, default: 0] += Self.sparseWeight * score }
        func ranked(_ fused: [Int64: Double], count: Int) -> [Int64] {
            fused.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(count).map(\.key)
        }
        let gramCandidates = ranked(fused, count: Self.gramCandidates)
        let terms = try await store.keywordTerms(ids: gramCandidates)
        let overlap = CharacterGrams(terms: KeywordText.terms(of: question)).overlap(gramCandidates.map { terms[$0] ?? [] })
        for (id, share) in zip(gramCandidates, overlap) { fused[id, default: 0] += Self.gramWeight * share }
        // The best fused chunks that state the kind of figure the question asks for ("por quanto
        // tempo?": a duration), or whose age condition holds for the age it states, move up among
        // them: they are read anyway, so this costs no search.
        let reach = topK * Self.reachPerSource
        let figure = AskedFigure.asked(in: question)
        let age = StatedAge.stated(in: question)
        let wanted = figure == nil && age == nil ? reach : max(reach, Self.figureCandidates)
        // Read past chunks that only repeat an article already ranked, from another copy of its act.
        let ranking = ranked(fused, count: wanted + Self.copyAllowance)
        let calibratedRanking = ranked(calibrated, count: reach + Self.copyAllowance)
        let chunks = Dictionary(
            try await store.chunks(ids: Array(Set(ranking + calibratedRanking + (holdsSpreadsheet ? Array(fused.keys) : [])))).map { ($0.id, $0) },
            uniquingKeysWith: { first, _ in first })
        var best = Array(Self.withoutCopies(ranking, chunks: chunks).prefix(wanted))
        var calibratedIDs = Array(Self.withoutCopies(calibratedRanking, chunks: chunks).prefix(reach))
        if figure != nil || age != nil { best = Self.raising(figure, age: age, in: best, scores: fused, texts: chunks.mapValues(\.text)) }
        // A spreadsheet's row about what was asked, when neither ranking holds a row: the row is what
        // answers, whichever side ranked the articles around it.
        if holdsSpreadsheet, !Self.holdsRecord(best, reach: reach, chunks: chunks) || !Self.holdsRecord(calibratedIDs, reach: reach, chunks: chunks),
           let record = Self.record(
               for: question, among: ranked(fused, count: fused.count), chunks: chunks, termSets: gramCandidates.map { terms[$0] ?? [] }) {
            Self.place(record, in: &best, reach: reach, chunks: chunks)
            Self.place(record, in: &calibratedIDs, reach: reach, chunks: chunks)
        }
        let rankedIDs = Array(best.prefix(reach))
        let ordinals = chunks.mapValues(\.ordinal)
        func sources(_ ids: [Int64]) -> [RetrievedSource] {
            merge(ids.compactMap { chunks[$0] }.map { chunk in
                RetrievedSource(
                    documentPath: chunk.documentPath, documentTitle: chunk.documentTitle, location: chunk.location,
                    text: chunk.text, similarity: similarity(query, chunk.id), chunkIDs: [chunk.id], context: chunk.context)
            }, ordinals: ordinals, topK: topK)
        }
        let found = sources(rankedIDs)
        return Retrieval(sources: found, calibratedSources: calibratedIDs == rankedIDs ? found : sources(calibratedIDs), query: query, embeddingTime: embeddingTime)
    }

    /// Where a spreadsheet's row about what was asked goes among the ranked chunks when none was
    /// ranked (`record(for:among:chunks:termSets:)`): first — the question names one of the table's
    /// columns and the row holds most of what it is about.
    static let recordPlace = 0

    /// The best-ranked of `candidates` (every chunk any side found) that is a spreadsheet's row about
    /// what `question` asks and states it — its values hold most of the question's words, weighed
    /// by their rarity among `termSets` (`EvidenceSelector.subjectShare`), and the question names
    /// one of its columns ("quantos *pontos*…", "qual a *gravidade*…"). In a collection holding a
    /// statute and a table of its infractions, the statute's articles on points and penalties
    /// outrank the row that states them for the infraction asked about.
    static func record(for question: String, among candidates: [Int64], chunks: [Int64: IndexedChunk], termSets: [Set<String>]) -> Int64? {
        let own = Set(KeywordText.terms(of: question))
        return candidates.first { id in
            guard let chunk = chunks[id], isRecord(chunk) else { return false }
            return EvidenceSelector.namesColumn(own: own, row: chunk.text)
                && EvidenceSelector.subjectShare(own: own, row: chunk.text, candidates: termSets) > 0.5
        }
    }

    /// `ids` with `record` at `recordPlace` when none of the first `reach` is a spreadsheet's row.
    static func place(_ record: Int64, in ids: inout [Int64], reach: Int, chunks: [Int64: IndexedChunk]) {
        guard !holdsRecord(ids, reach: reach, chunks: chunks) else { return }
        ids.removeAll { $0 == record }
        ids.insert(record, at: min(recordPlace, ids.count))
    }

    /// Whether one of the first `reach` of `ids` is a spreadsheet's row.
    static func holdsRecord(_ ids: [Int64], reach: Int, chunks: [Int64: IndexedChunk]) -> Bool {
        ids.prefix(reach).contains { chunks[$0].map(isRecord) == true }
    }

    /// Whether `chunk` is one row of a spreadsheet.
    static func isRecord(_ chunk: IndexedChunk) -> Bool {
        DocumentFormat(path: chunk.documentPath)?.isSpreadsheet == true
    }

    /// `ids` re-ranked after each whose text states `figure` gains `figureWeight` over its score,
    /// and each with an age condition that holds for the `age` the question states (`StatedAge`:
    /// "meu pai tem 72 anos" — "condutores com idade igual ou superior a 70 anos") `ageWeight`;
    /// one whose age conditions all exclude it ("crianças menores de dez anos" for "meu pai fez
    /// 60 anos") loses as much (ties by id, as fusion breaks them).
    static func raising(_ figure: AskedFigure?, age: Int?, in ids: [Int64], scores: [Int64: Double], texts: [Int64: String]) -> [Int64] {
        let raised = ids.map { id in
            let text = texts[id] ?? ""
            let stated = figure?.isStated(in: text) == true ? figureWeight : 0
            let verdict = age.flatMap { StatedAge.verdict(in: text, for: $0) }
            let holds = verdict == true ? ageWeight : verdict == false ? -ageWeight : 0
            return (id, (scores[id] ?? 0) + stated + holds)
        }
        return raised.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map(\.0)
    }

    /// The unit-length mean of unit vectors.
    static func mean(_ vectors: [[Float]]) -> [Float] {
        guard vectors.count > 1 else { return vectors[0] }
        var sum = vectors[0]
        for vector in vectors.dropFirst() { for i in sum.indices { sum[i] += vector[i] } }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? sum.map { $0 / norm } : sum
    }

    /// Scores mapped to 0…1 between the lowest and the highest (all 1 when they are equal).
    static func scaled(_ scores: [Double]) -> [Double] {
        guard let low = scores.min(), let high = scores.max(), high > low else { return scores.map { _ in 1 } }
        return scores.map { ($0 - low) / (high - low) }
    }

    private func similarity(_ query: [Float], _ id: Int64) -> Float {
        guard let row = rowOf[id] else { return 0 }
        let d = index.snapshot.dimensions
        return index.snapshot.values.withUnsafeBufferPointer { values in
            query.withUnsafeBufferPointer { VectorIndex.dot($0.baseAddress!, values.baseAddress! + row * d, d) }
        }
    }

    /// Sources from ranked chunks: a chunk next to one already taken (consecutive in its document)
    /// joins that better-ranked one; other chunks become sources until there are `topK`. A table's
    /// row stays a source of its own: the next row is another record, not its context.
    private func merge(_ sources: [RetrievedSource], ordinals: [Int64: Int], topK: Int) -> [RetrievedSource] {
        var result: [RetrievedSource] = []
        for source in sources {
            let ordinal = ordinals[source.chunkIDs[0]]!
            if !source.isTableRow(source.text), let index = result.firstIndex(where: { other in
                other.documentPath == source.documentPath && !other.isTableRow(other.text)
                    && other.chunkIDs.contains { abs(ordinals[$0]! - ordinal) == 1 }
            }) {
                var merged = result[index]
                let before = merged.chunkIDs.map { ordinals[$0]! }.min()! > ordinal
                merged.text = before ? Self.join(source.text, merged.text) : Self.join(merged.text, source.text)
                merged.chunkIDs.append(source.chunkIDs[0])
                merged.similarity = max(merged.similarity, source.similarity)
                if before { (merged.location, merged.context) = (source.location, source.context) }
                result[index] = merged
            } else if result.count < topK {
                result.append(source)
            }
        }
        return result
    }

    /// `ids` without the chunks that repeat a better-ranked chunk of another copy of the same act
    /// (its portal page and a printed PDF of it: `isCopy`). Of the two, the one that is not a PDF
    /// is kept, in the better place: a PDF cannot show which wording is revoked.
    static func withoutCopies(_ ids: [Int64], chunks: [Int64: IndexedChunk]) -> [Int64] {
        var kept: [Int64] = []
        for id in ids {
            guard let chunk = chunks[id] else { continue }
            if let copy = kept.firstIndex(where: { isCopy(chunks[$0]!, chunk) }) {
                if isPDF(chunks[kept[copy]]!) && !isPDF(chunk) { kept[copy] = id }
                continue
            }
            kept.append(id)
        }
        return kept
    }

    /// Whether `a` and `b` are the same passage of one act in two documents: the same title, an
    /// article in common, and mostly the same words (at least half of the shorter one's runs of
    /// three words) — another part of a long article, or an annex's article of the same number,
    /// is not a copy.
    static func isCopy(_ a: IndexedChunk, _ b: IndexedChunk) -> Bool {
        guard a.documentPath != b.documentPath, a.documentTitle == b.documentTitle,
              !articles(in: a.location).isDisjoint(with: articles(in: b.location)) else { return false }
        func trigrams(_ text: String) -> Set<[String]> {
            let words = FactNormalizer.words(text)
            return Set(words.indices.dropLast(2).map { Array(words[$0..<($0 + 3)]) })
        }
        let first = trigrams(a.text), second = trigrams(b.text)
        guard !first.isEmpty, !second.isEmpty else { return false }
        return 2 * first.intersection(second).count >= min(first.count, second.count)
    }

    /// The articles named in a location: "Art. 19-A" in "p. 3, Título II › … › Art. 19-A › § 4º",
    /// the first and last in "… › Art. 13 – Art. 14"; without the act whose wording it is ("Art. 2º
    /// (Lei nº 14.423/2022)").
    static func articles(in location: String) -> Set<String> {
        Set(location.components(separatedBy: " › ").flatMap { $0.components(separatedBy: " – ") }.compactMap { part in
            part.range(of: "Art. ").map { part[$0.lowerBound...].components(separatedBy: " (")[0] }
        })
    }

    static func isPDF(_ chunk: IndexedChunk) -> Bool {
        DocumentFormat(path: chunk.documentPath) == .pdf
    }

    /// Joins consecutive chunks, dropping the overlap the second repeats from the first.
    public static func join(_ first: String, _ second: String) -> String {
        let limit = min(first.count, second.count)
        for length in stride(from: limit, through: 20, by: -1) where first.hasSuffix(second.prefix(length)) {
            return first + second.dropFirst(length)
        }
        return first + "\n" + second
    }
}
