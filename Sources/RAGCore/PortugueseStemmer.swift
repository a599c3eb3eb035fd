/// Snowball's Portuguese stemmer (https://snowballstem.org/algorithms/portuguese/stemmer.html).
///
/// A faithful port of the reference `portuguese.sbl` (Snowball 3.x). Words are processed as
/// arrays of Unicode scalars, so results agree scalar for scalar with the reference
/// implementations (e.g. the `snowballstemmer` Python package). Stateless and thread-safe.
public enum PortugueseStemmer {

    /// The stem of a lower-cased word (accents kept as the algorithm expects).
    public static func stem(_ word: String) -> String {
        var scalars = expandingNasalVowels(word)
        let regions = Regions(of: scalars)

        // Steps 1–4: step 2 runs only when step 1 removed nothing; step 3 runs when either
        // of them changed the word, step 4 only when neither did.
        if removeStandardSuffix(from: &scalars, regions)
            || removeVerbSuffix(from: &scalars, regions) {
            removeIAfterC(from: &scalars, regions)
        } else {
            removeResidualSuffix(from: &scalars, regions)
        }
        removeResidualForm(from: &scalars, regions)

        return contractingNasalVowels(scalars)
    }

    // MARK: - Prelude and postlude

    /// Prelude: `ã` and `õ` become `a~` and `o~`. The `~` is a consonant for the region
    /// rules, and the suffix tables below are spelled with it (`aça~o`, `ara~o`, …).
    private static func expandingNasalVowels(_ word: String) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(word.unicodeScalars.count + 2)
        for scalar in word.unicodeScalars {
            switch scalar {
            case "ã": scalars.append("a"); scalars.append("~")
            case "õ": scalars.append("o"); scalars.append("~")
            default: scalars.append(scalar)
            }
        }
        return scalars
    }

    /// Postlude: `a~` and `o~` turn back into `ã` and `õ`.
    private static func contractingNasalVowels(_ scalars: [Unicode.Scalar]) -> String {
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if index + 1 < scalars.count, scalars[index + 1] == "~", scalar == "a" || scalar == "o" {
                result.append(scalar == "a" ? "ã" : "õ")
                index += 2
            } else {
                result.append(scalar)
                index += 1
            }
        }
        return String(result)
    }

    // MARK: - Regions

    /// Start indices of the regions RV, R1 and R2; an empty region starts at the word's end.
    ///
    /// Suffixes are only ever removed at the end, so the indices stay valid for the
    /// whole run: "suffix in R2" means "suffix starts at or after `r2`".
    private struct Regions {
        let rv: Int
        let r1: Int
        let r2: Int

        init(of word: [Unicode.Scalar]) {
            rv = Self.rvStart(of: word)
            r1 = Self.regionStart(of: word, searchingFrom: 0)
            r2 = Self.regionStart(of: word, searchingFrom: r1)
        }

        /// RV: if the second letter is a consonant, the region after the next vowel; if the
        /// first two letters are vowels, the region after the next consonant; otherwise
        /// (consonant–vowel) the region after the third letter. The word's end if none applies.
        private static func rvStart(of word: [Unicode.Scalar]) -> Int {
            let count = word.count
            guard count >= 2 else { return count }
            let lookingForVowel = !isVowel(word[1])
            if isVowel(word[0]) || lookingForVowel {
                // Consonant second: scan for the next vowel; vowel–vowel: for the next consonant.
                var index = 2
                while index < count, isVowel(word[index]) != lookingForVowel { index += 1 }
                return index < count ? index + 1 : count
            }
            return count >= 3 ? 3 : count
        }

        /// R1 (from the start) or R2 (from R1): the region after the first non-vowel that
        /// follows a vowel, at or after `start`.
        private static func regionStart(of word: [Unicode.Scalar], searchingFrom start: Int) -> Int {
            var index = start
            while index < word.count, !isVowel(word[index]) { index += 1 }
            while index < word.count, isVowel(word[index]) { index += 1 }
            return index < word.count ? index + 1 : word.count
        }

        private static func isVowel(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar {
            case "a", "e", "i", "o", "u", "á", "â", "é", "ê", "í", "ó", "ô", "ú": return true
            default: return false
            }
        }
    }

    // MARK: - Step 1: standard suffix removal

    /// What step 1 does with each suffix, once its region condition holds.
    private enum StandardSuffixAction: Sendable {
        /// Delete if in R2.
        case delete
        /// Replace with `log` if in R2.
        case replaceWithLog
        /// Replace with `u` if in R2.
        case replaceWithU
        /// Replace with `ente` if in R2.
        case replaceWithEnte
        /// `amente`: delete if in R1, then an `iv` (and a preceding `at`), `os`, `ic` or `ad` in R2.
        case amente
        /// `mente`: delete if in R2, then an `ante`, `avel` or `ível` in R2.
        case mente
        /// `idade(s)`: delete if in R2, then an `abil`, `ic` or `iv` in R2.
        case idade
        /// `iva`, `ivo`, …: delete if in R2, then an `at` in R2.
        case iva
        /// `ira(s)`: replace with `ir` if in RV and preceded by `e`.
        case ira
    }

    private static let standardSuffixes = SuffixTable<StandardSuffixAction>([
        "eza": .delete, "ezas": .delete, "ico": .delete, "ica": .delete, "icos": .delete,
        "icas": .delete, "ismo": .delete, "ismos": .delete, "ável": .delete, "ível": .delete,
        "ista": .delete, "istas": .delete, "oso": .delete, "osa": .delete, "osos": .delete,
        "osas": .delete, "amento": .delete, "amentos": .delete, "imento": .delete,
        "imentos": .delete, "adora": .delete, "ador": .delete, "aça~o": .delete,
        "adoras": .delete, "adores": .delete, "aço~es": .delete, "ante": .delete,
        "antes": .delete, "ância": .delete,
        "logia": .replaceWithLog, "logias": .replaceWithLog,
        "uça~o": .replaceWithU, "uço~es": .replaceWithU,
        "ência": .replaceWithEnte, "ências": .replaceWithEnte,
        "amente": .amente,
        "mente": .mente,
        "idade": .idade, "idades": .idade,
        "iva": .iva, "ivo": .iva, "ivas": .iva, "ivos": .iva,
        "ira": .ira, "iras": .ira,
    ])

    /// After `amente`; `true` marks `iv`, which may also take a preceding `at`.
    private static let suffixesBeforeAmente = SuffixTable<Bool>([
        "ic": false, "ad": false, "os": false, "iv": true,
    ])
    private static let suffixesBeforeMente = SuffixTable(["ante", "avel", "ível"])
    private static let suffixesBeforeIdade = SuffixTable(["abil", "ic", "iv"])

    /// Step 1: removes the longest standard suffix if its condition holds.
    /// As in Snowball, a failed condition does not fall back to a shorter suffix.
    private static func removeStandardSuffix(from word: inout [Unicode.Scalar], _ regions: Regions) -> Bool {
        guard let (start, action) = standardSuffixes.longestMatch(in: word) else { return false }
        switch action {
        case .delete, .replaceWithLog, .replaceWithU, .replaceWithEnte, .mente, .idade, .iva:
            guard start >= regions.r2 else { return false }
        case .amente:
            guard start >= regions.r1 else { return false }
        case .ira:
            guard start >= regions.rv, start > 0, word[start - 1] == "e" else { return false }
        }

        switch action {
        case .delete, .amente, .mente, .idade, .iva: word.removeSubrange(start...)
        case .replaceWithLog: word.replaceSuffix(from: start, with: "log")
        case .replaceWithU: word.replaceSuffix(from: start, with: "u")
        case .replaceWithEnte: word.replaceSuffix(from: start, with: "ente")
        case .ira: word.replaceSuffix(from: start, with: "ir")
        }

        switch action {
        case .amente:
            if let (precedingStart, mayFollowAt) = suffixesBeforeAmente.longestMatch(in: word),
               precedingStart >= regions.r2 {
                word.removeSubrange(precedingStart...)
                if mayFollowAt { word.removeSuffix("at", ifStartingAtOrAfter: regions.r2) }
            }
        case .mente:
            suffixesBeforeMente.removeLongestMatch(from: &word, ifStartingAtOrAfter: regions.r2)
        case .idade:
            suffixesBeforeIdade.removeLongestMatch(from: &word, ifStartingAtOrAfter: regions.r2)
        case .iva:
            word.removeSuffix("at", ifStartingAtOrAfter: regions.r2)
        default:
            break
        }
        return true
    }

    // MARK: - Step 2: verb suffix removal

    private static let verbSuffixes = SuffixTable([
        "ada", "ida", "ia", "aria", "eria", "iria", "ará", "ara", "erá", "era", "irá", "ava",
        "asse", "esse", "isse", "aste", "este", "iste", "ei", "arei", "erei", "irei", "am",
        "iam", "ariam", "eriam", "iriam", "aram", "eram", "iram", "avam", "em", "arem", "erem",
        "irem", "assem", "essem", "issem", "ado", "ido", "ando", "endo", "indo", "ara~o",
        "era~o", "ira~o", "ar", "er", "ir", "as", "adas", "idas", "ias", "arias", "erias",
        "irias", "arás", "aras", "erás", "eras", "irás", "avas", "es", "ardes", "erdes",
        "irdes", "ares", "eres", "ires", "asses", "esses", "isses", "astes", "estes", "istes",
        "is", "ais", "eis", "íeis", "aríeis", "eríeis", "iríeis", "áreis", "areis", "éreis",
        "ereis", "íreis", "ireis", "ásseis", "ésseis", "ísseis", "áveis", "ados", "idos",
        "ámos", "amos", "íamos", "aríamos", "eríamos", "iríamos", "áramos", "éramos",
        "íramos", "ávamos", "emos", "aremos", "eremos", "iremos", "ássemos", "êssemos",
        "íssemos", "imos", "armos", "ermos", "irmos", "eu", "iu", "ou", "ira", "iras",
    ])

    /// Step 2: removes the longest verb suffix lying wholly in RV.
    private static func removeVerbSuffix(from word: inout [Unicode.Scalar], _ regions: Regions) -> Bool {
        guard let (start, _) = verbSuffixes.longestMatch(in: word, startingAtOrAfter: regions.rv) else {
            return false
        }
        word.removeSubrange(start...)
        return true
    }

    // MARK: - Steps 3 and 4

    /// Step 3: deletes a final `i` in RV that follows `c`.
    private static func removeIAfterC(from word: inout [Unicode.Scalar], _ regions: Regions) {
        let count = word.count
        if count >= 2, word[count - 1] == "i", word[count - 2] == "c", count - 1 >= regions.rv {
            word.removeLast()
        }
    }

    private static let residualSuffixes = SuffixTable(["os", "a", "i", "o", "á", "í", "ó"])

    /// Step 4: deletes a residual suffix (`os`, `a`, `i`, `o`, `á`, `í`, `ó`) in RV.
    private static func removeResidualSuffix(from word: inout [Unicode.Scalar], _ regions: Regions) {
        residualSuffixes.removeLongestMatch(from: &word, ifStartingAtOrAfter: regions.rv)
    }

    // MARK: - Step 5: residual form

    /// Step 5: deletes a final `e`, `é` or `ê` in RV, and then the `u` of a final `gu` or
    /// the `i` of a final `ci` if in RV; turns a final `ç` into `c`.
    private static func removeResidualForm(from word: inout [Unicode.Scalar], _ regions: Regions) {
        guard let last = word.last else { return }
        switch last {
        case "e", "é", "ê":
            guard word.count - 1 >= regions.rv else { return }
            word.removeLast()
            let count = word.count
            guard count >= 2, count - 1 >= regions.rv else { return }
            let pair = (word[count - 2], word[count - 1])
            if pair == ("g", "u") || pair == ("c", "i") {
                word.removeLast()
            }
        case "ç":
            word[word.count - 1] = "c"
        default:
            break
        }
    }
}

// MARK: - Suffix matching

/// A Snowball `among`: suffixes, each with an action, matched longest first.
private struct SuffixTable<Action: Sendable>: Sendable {
    private struct Entry: Sendable {
        let scalars: [Unicode.Scalar]
        let action: Action
    }

    /// Entries grouped by their final scalar, longest first within each group.
    private let entriesByFinalScalar: [Unicode.Scalar: [Entry]]

    init(_ entries: KeyValuePairs<String, Action>) {
        self.init(pairs: entries.map { ($0.key, $0.value) })
    }

    private init(pairs: [(suffix: String, action: Action)]) {
        var groups: [Unicode.Scalar: [Entry]] = [:]
        for (suffix, action) in pairs {
            let scalars = Array(suffix.unicodeScalars)
            groups[scalars[scalars.count - 1], default: []].append(Entry(scalars: scalars, action: action))
        }
        entriesByFinalScalar = groups.mapValues { group in
            group.sorted { $0.scalars.count > $1.scalars.count }
        }
    }

    /// The start and action of the longest suffix of `word` in the table that begins at
    /// or after `lowerBound` (Snowball's `limit_backward`).
    func longestMatch(
        in word: [Unicode.Scalar], startingAtOrAfter lowerBound: Int = 0
    ) -> (start: Int, action: Action)? {
        guard let finalScalar = word.last, let candidates = entriesByFinalScalar[finalScalar] else { return nil }
        for entry in candidates {
            let start = word.count - entry.scalars.count
            if start >= lowerBound, word[start...].elementsEqual(entry.scalars) {
                return (start, entry.action)
            }
        }
        return nil
    }

    /// Deletes the longest matching suffix if it begins at or after `regionStart`.
    func removeLongestMatch(from word: inout [Unicode.Scalar], ifStartingAtOrAfter regionStart: Int) {
        if let (start, _) = longestMatch(in: word), start >= regionStart {
            word.removeSubrange(start...)
        }
    }
}

extension SuffixTable where Action == Void {
    /// A table of plain suffixes, used only for their presence.
    init(_ suffixes: [String]) {
        self.init(pairs: suffixes.map { ($0, ()) })
    }
}

extension Array where Element == Unicode.Scalar {
    /// Replaces everything from `start` to the end with `replacement`.
    fileprivate mutating func replaceSuffix(from start: Int, with replacement: String) {
        replaceSubrange(start..., with: replacement.unicodeScalars)
    }

    /// Deletes `suffix` from the end if present and beginning at or after `regionStart`.
    fileprivate mutating func removeSuffix(_ suffix: String, ifStartingAtOrAfter regionStart: Int) {
        let length = suffix.unicodeScalars.count
        let start = count - length
        if start >= regionStart, self[start...].elementsEqual(suffix.unicodeScalars) {
            removeLast(length)
        }
    }
}
