import DocumentIngestion
import Foundation

/// The units chosen to answer a question, with how strongly they support it.
public struct Evidence: Sendable, Equatable {
    /// The chosen units in reading order (by source, then position), each parent before the
    /// inciso or alínea it introduces.
    public var units: [EvidenceUnit]
    public var strength: EvidenceStrength

    public static let none = Evidence(
        units: [], strength: .init(similarity: 0, passageSimilarity: 0, keywordSupport: 0, asksFigure: false, lacksAskedFigure: true))
}

/// How strongly the evidence supports a question: what refusal decides on, and what `guiche eval`
/// reports per question (Portuguese keys).
public struct EvidenceStrength: Sendable, Equatable, Codable {
    /// Cosine similarity between the question and the best unit.
    public var similarity: Float
    /// Cosine similarity between the question and its best passage (what calibration measures).
    public var passageSimilarity: Float
    /// Share of the question's keyword weight found in the best unit (0…1).
    public var keywordSupport: Double
    /// The question asks for a kind of figure (a duration, an amount …).
    public var asksFigure: Bool
    /// The question asks for a kind of figure (a duration, an amount …) and no decisive unit states
    /// one (an amount, with something the question names).
    public var lacksAskedFigure: Bool
    /// The best unit is a table row about what was asked — its values hold most of what the
    /// question names in its own words — that states what was asked: the figure asked for, or a
    /// column the question names ("qual a *gravidade*…", "qual o *código*…").
    public var recordAnswers = false

    enum CodingKeys: String, CodingKey {
        case similarity = "semelhanca", passageSimilarity = "semelhanca_trecho", keywordSupport = "palavras"
        case asksFigure = "pede_numero", lacksAskedFigure = "falta_numero_pedido"
        case recordAnswers = "registro_responde"
    }
}

/// Chooses, from the retrieved sources, the few legal units (caput, §, inciso, alínea; sentences
/// or table rows elsewhere) that answer a question, scored against it by the dense similarity of
/// the unit (with the device that introduces it), the question's keywords it holds (weighted by
/// their rarity among the candidates), whether it states the kind of figure asked for and
/// whether its age condition holds for the age the question states.
public struct EvidenceSelector: Sendable {
    public let embedding: any TextEmbedding
    public let vocabulary: Vocabulary
    /// Units chosen (the devices introducing them come along and are not counted).
    public var maxUnits: Int
    /// The strongest chosen units, which decide whether the evidence states the figure asked for:
    /// the units quoted beyond them are context a paraphrase often needs (its device ranks fourth),
    /// not grounds to answer.
    static let decisiveUnits = 3
    /// Candidate units read from the sources, in retrieval order.
    static let maxCandidates = 64
    /// Words of a unit (with its introducing device) given to the embedding model.
    static let embeddedWords = 80

    public init(embedding: any TextEmbedding, vocabulary: Vocabulary = .empty, maxUnits: Int = 4) {
        self.embedding = embedding
        self.vocabulary = vocabulary
        self.maxUnits = maxUnits
    }

    /// The evidence for `question` among `sources`; `query` is the question's embedding.
    public func select(question: String, query: [Float], sources: [RetrievedSource]) async throws -> Evidence {
        var embedded: [String: [Float]] = [:]
        return try await select(question: question, query: query, sources: sources, embedded: &embedded)
    }

    /// The same, reusing the vectors of units an earlier selection for the question embedded
    /// (`embedded`, by the text given to the model) and adding those it embeds.
    public func select(question: String, query: [Float], sources: [RetrievedSource], embedded: inout [String: [Float]]) async throws -> Evidence {
        let read = sources.enumerated().map { EvidenceUnit.unitsAndOpenings(of: $1, index: $0) }
        let byUnit = read.map(\.units)
        // (source, position) of each candidate: a passage's own units, not the openings read
        // before it (they are quoted as the parents of its items, and are candidates in their
        // own passage).
        let keys = Array(read.enumerated().flatMap { source, read in read.units.indices.filter { !read.openings.contains($0) }.map { [source, $0] } }
            .prefix(Self.maxCandidates))
        guard !keys.isEmpty else { return .none }
        let candidates = keys.map { byUnit[$0[0]][$0[1]] }

        // A unit is read with the device introducing it; outside legislation, under its citation
        // (the section heading: "Documentos necessários: - CPF.").
        let withParents = candidates.map { unit in
            [unit.level == 0 ? unit.citation + ":" : nil, unit.parent.map { byUnit[unit.source][$0].text }, unit.text]
                .compactMap { $0 }.joined(separator: " ")
        }
        let openings = withParents.map(Self.opening)
        var missing: [String] = []
        for text in openings where embedded[text] == nil && !missing.contains(text) { missing.append(text) }
        if !missing.isEmpty {
            for (text, vector) in zip(missing, try await embedding.embed(missing, kind: .document)) { embedded[text] = vector }
        }
        let vectors = openings.map { embedded[$0]! }
        let dense: [Float] = vectors.map { vector in zip(vector, query).reduce(0) { $0 + $1.0 * $1.1 } }
        let questionTerms = KeywordQuery(question, vocabulary: vocabulary).terms
        let termSets = withParents.map { Set(KeywordText.terms(of: $0)) }
        let keyword = Self.keywordSupport(question: question, terms: questionTerms, termSets: termSets)
        let asked = AskedFigure.asked(in: question)
        let sanctionsCount = AskedFigure.asksAboutSanction(question)
        // An amount is the price of something, and a table states many: a unit states the amount
        // asked only when it also names something the question names besides asking a price
        // ("quanto custa o IPVA?" is not answered by another service's fee). Durations and ages
        // go by their kind alone: a law's device states them under a caput a paraphrase seldom
        // shares a word with.
        let subject = Set(questionTerms).subtracting(AskedFigure.figureTerms)
        let states = candidates.indices.map { i in
            guard let asked, asked.isStated(in: sanctionsCount ? candidates[i].text : candidates[i].textWithoutSanction) else { return false }
            return asked != .amount || subject.isEmpty || !subject.isDisjoint(with: termSets[i])
        }
        // "meu pai tem 72 anos": the device for condutores "com idade igual ou superior a 70 anos".
        let age = StatedAge.stated(in: question)
        // The question's own words (not the vocabulary's) that do not ask for a figure.
        let own = Set(KeywordText.terms(of: question)).subtracting(AskedFigure.figureTerms)
        func isRow(_ i: Int) -> Bool { sources[candidates[i].source].isTableRow(candidates[i].text) }
        func subjectShare(_ i: Int) -> Double { Self.subjectShare(own: own, row: candidates[i].text, candidates: termSets) }
        // A table's row about what was asked that states it ("quantos pontos…": its "Pontos: 5").
        let answeringRecord = candidates.indices.map { i in
            isRow(i) && subjectShare(i) > 0.5 && (states[i] || Self.namesColumn(own: own, row: candidates[i].text))
        }
        // Among prose it gains: an article states the rule for a kind of infraction, the row the
        // figure for the one asked about. Among rows alone their order stands.
        let rowsAmongProse = candidates.indices.contains(where: isRow) && !candidates.indices.allSatisfy(isRow)
        let scores = candidates.indices.map { i in
            Self.denseWeight * Double(dense[i]) + Self.keywordWeight * keyword[i] + (states[i] ? Self.figureWeight : 0)
                + (age.map { StatedAge.holds(in: candidates[i].text, for: $0) } == true ? Self.ageWeight : 0)
                + (answeringRecord[i] && rowsAmongProse ? Self.recordWeight : 0)
                - Self.sourceRankPenalty * Double(candidates[i].source)
        }
        let order = candidates.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        let chosen = Self.choose(order: order, keys: keys, units: byUnit, count: maxUnits)
        let best = order[0]
        let recordAnswers = answeringRecord[best]
        // A record about what was asked is quoted with the other records about it — holding at
        // least half of what it names ("manuseando telefone celular" beside "utilizando-se de
        // telefone celular") — not beside rows that only resemble it ("usar o cinto" beside "usar
        // buzina").
        let quoted = recordAnswers
            ? chosen.filter { $0 == best || !isRow($0) || subjectShare($0) >= 0.5 } : chosen
        return Evidence(
            units: Self.readingOrder(quoted.map { keys[$0] }, units: byUnit),
            strength: .init(
                similarity: dense[best], passageSimilarity: sources.map(\.similarity).max() ?? 0, keywordSupport: keyword[best],
                asksFigure: asked != nil, lacksAskedFigure: asked != nil && !chosen.prefix(Self.decisiveUnits).contains { states[$0] },
                recordAnswers: recordAnswers))
    }

    /// The share of the question's `own` terms that table row `row`'s values hold — not its column
    /// names, which every row shares — each term weighted by its rarity among the `candidates`
    /// ("celular" weighs more than "dirigir" among traffic infractions), over the terms any
    /// candidate holds (words no candidate uses — "perco", "pego" — say nothing either way). A
    /// record about what was asked holds most of the weight: a row with only one of the question's
    /// subjects ("estacionar", not "fila dupla") is another record.
    static func subjectShare(own: Set<String>, row: String, candidates: [Set<String>]) -> Double {
        let columns = Set(TableText.names(of: row).flatMap(KeywordText.terms))
        let values = Set(KeywordText.terms(of: TableText.values(of: row)))
        // Sorted: a set's order changes between processes, and so would the sum's last bit.
        let subject = own.subtracting(columns).sorted().map { term in (term, candidates.count { $0.contains(term) }) }.filter { $0.1 > 0 }
        let weight = { (frequency: Int) in log(1 + Double(candidates.count) / Double(1 + frequency)) }
        let total = subject.reduce(0) { $0 + weight($1.1) }
        return total == 0 ? 0 : subject.filter { values.contains($0.0) }.reduce(0) { $0 + weight($1.1) } / total
    }

    /// Whether the question's `own` terms name a column of table row `row` by its head word ("qual
    /// a *gravidade*…", "qual o *código*…"; not "infração", which "Código da Infração" only
    /// qualifies): the row states what was asked.
    static func namesColumn(own: Set<String>, row: String) -> Bool {
        !own.isDisjoint(with: TableText.names(of: row).compactMap { KeywordText.terms(of: $0).first })
    }

    /// Weights of a unit's score, measured with `guiche eval` (key facts in extractive answers):
    /// similarities of units of one passage differ by hundredths, so the dense side weighs its
    /// raw cosine; the passage's rank in retrieval, which fused the keyword side over whole
    /// passages, counts against units of lower-ranked passages; a unit whose age condition holds
    /// for the age the question states (`StatedAge`) gains as one stating the asked figure does.
    static let denseWeight = 5.0
    static let keywordWeight = 1.0
    static let figureWeight = 0.3
    static let ageWeight = 0.3
    static let recordWeight = 0.4
    static let sourceRankPenalty = 0.15

    /// The first `embeddedWords` words of `text`.
    static func opening(_ text: String) -> String {
        let words = text.split(separator: " ")
        return words.count <= embeddedWords ? text : words.prefix(embeddedWords).joined(separator: " ")
    }

    /// For each text (given by its `termSets`), the share of the question's term weight (its
    /// keyword `terms`) it holds; a term weighs more the fewer texts hold it (IDF over the
    /// candidates), a term no candidate holds weighs most, and the question's focus ("quais
    /// *documentos*", "qual a *pena*") weighs `focusWeight` times.
    static func keywordSupport(question: String, terms query: [String], termSets: [Set<String>]) -> [Double] {
        guard !query.isEmpty else { return termSets.map { _ in 0 } }
        let count = Double(termSets.count)
        let focus = Self.focus(of: question)
        let weight = Dictionary(uniqueKeysWithValues: query.map { term in
            (term, log(1 + count / (1 + Double(termSets.count { $0.contains(term) }))) * (term == focus ? Self.focusWeight : 1))
        })
        // Summed in the question's term order: a dictionary's order changes between processes, and so
        // would the last bit of the share.
        let total = query.reduce(0) { $0 + weight[$1]! }
        return termSets.map { terms in query.filter(terms.contains).reduce(0) { $0 + weight[$1]! } / total }
    }

    static let focusWeight = 3.0

    /// The term of the noun a question asks about: the first word after "qual/quais/quanto(s)/
    /// que" and an article ("Quais documentos…" → "document", "Qual é a pena…" → "pen").
    static func focus(of question: String) -> String? {
        let words = KeywordText.words(of: question).map(KeywordText.fold)
        guard let start = words.firstIndex(where: focusHeads.contains) else { return nil }
        let next = words[(start + 1)...].first { !focusSkipped.contains($0) }
        return next.flatMap { KeywordText.terms(of: $0).first }
    }

    private static let focusHeads: Set<String> = ["qual", "quais", "quanto", "quanta", "quantos", "quantas", "que"]
    private static let focusSkipped: Set<String> = ["o", "a", "os", "as", "e", "sao", "era", "foi", "um", "uma", "de", "do", "da"]

    /// The first `count` candidates of `order` ([source, position] in `keys`) that bring something
    /// new: a list item or a caput ending in ":" brings its whole list (see `readingOrder`), so a
    /// second item of a list already chosen is passed over for the next unit elsewhere — "qual o
    /// valor da multa por dirigir bêbado?" needs the infraction's article beside the table of values.
    static func choose(order: [Int], keys: [[Int]], units: [[EvidenceUnit]], count: Int) -> [Int] {
        var chosen: [Int] = []
        var lists = Set<[Int]>()
        for candidate in order where chosen.count < count {
            let (source, position) = (keys[candidate][0], keys[candidate][1])
            let unit = units[source][position]
            if let list = unit.listBelongedTo(at: position) {
                guard lists.insert([source, list]).inserted else { continue }
            }
            chosen.append(candidate)
        }
        return chosen
    }

    /// Items of one list quoted at most, when a chosen unit belongs to it or introduces it.
    static let maxListItems = 12

    /// The units at `chosen` ([source, position]) with the devices that introduce them, and whole
    /// lists — the other items of a chosen item's list, the items a chosen unit introduces (a caput
    /// ending in ":") — in source order then position: "quais documentos?" is answered by the list.
    static func readingOrder(_ chosen: [[Int]], units: [[EvidenceUnit]]) -> [EvidenceUnit] {
        var positions = Set<[Int]>()
        for key in chosen {
            let (source, position) = (key[0], key[1])
            let unit = units[source][position]
            // Its own list, and the one it introduces: an alínea "b) … estiver acompanhada:" is
            // an item of its §'s list and introduces its own items.
            for list in [unit.list, unit.listIntroduced(at: position)].compactMap({ $0 }) {
                let items = units[source].indices.filter { units[source][$0].list == list }.prefix(maxListItems)
                positions.formUnion(items.map { [source, $0] })
            }
            positions.insert(key)
            var parent = units[key[0]][key[1]].parent
            while let index = parent {
                positions.insert([key[0], index])
                parent = units[key[0]][index].parent
            }
        }
        return positions.sorted { $0.lexicographicallyPrecedes($1) }.map { units[$0[0]][$0[1]] }
    }
}
