import Foundation

/// How text becomes keyword-index terms, the same for documents and questions: lower-cased,
/// accents folded, legal abbreviations and numbers normalised ("9.503" → "9503", "147º" → "147",
/// "vinte e um" → "21", "arts." → "art"), Portuguese stop words dropped, every other word reduced to its stem by
/// Snowball's Portuguese stemmer ("habilitação", "habilitado" → "habilit").
public enum KeywordText {
    /// The terms of `text`, in order (repeats kept: they count for BM25).
    public static func terms(of text: String) -> [String] {
        numbers(in: lowercasedWords(of: text)).compactMap { word in
            let folded = fold(word)
            return stopwords.contains(folded) ? nil : term(word, folded: folded)
        }
    }

    /// The term of one lower-cased word: stemmed with its accents (the stemmer's suffix rules
    /// are written with them; a word typed without them gets the usual ones back first), then
    /// folded. Numbers and abbreviations stay as they are.
    static func term(_ word: String, folded: String) -> String {
        if word.first?.isNumber == true { return word }
        if let canonical = abbreviations[folded] { return canonical }
        return fold(PortugueseStemmer.stem(folded == word ? restoringAccents(word) : word))
    }

    /// The term of a word (see `term(_:folded:)`).
    static func stem(_ word: String) -> String {
        let lowered = word.lowercased()
        return term(lowered, folded: fold(lowered))
    }

    /// Accented endings people leave out when typing: "habilitacao" → "habilitação",
    /// "pensoes" → "pensões", "vigencia" → "vigência", "responsavel" → "responsável".
    static func restoringAccents(_ word: String) -> String {
        for (plain, accented) in accentedEndings where word.hasSuffix(plain) && word.count > plain.count + 1 {
            return word.dropLast(plain.count) + accented
        }
        return word
    }

    private static let accentedEndings: [(String, String)] = [
        ("coes", "ções"), ("cao", "ção"), ("soes", "sões"), ("sao", "são"), ("oes", "ões"), ("aes", "ães"), ("ao", "ão"),
        ("encia", "ência"), ("encias", "ências"), ("ancia", "ância"), ("ancias", "âncias"), ("avel", "ável"),
        ("aveis", "áveis"), ("ivel", "ível"), ("iveis", "íveis"), ("onica", "ônica"), ("onico", "ônico"),
    ]

    /// Numbers written in words as digits, as `FactNormalizer` reads them ("vinte e um anos" →
    /// "21 anos", "de um a quatro anos" → "1 a 4 anos"), and a number repeated in words once
    /// ("30 (trinta) dias" → "30 dias"): the law writes them both ways, citizens type digits.
    static func numbers(in words: [String]) -> [String] {
        // "dez por cento": the "%" is not a term, and "cento" there is no hundred.
        FactNormalizer.numbers(in: zip([""] + words, words).filter { !($0 == "por" && $1 == "cento") }.map(\.1), key: fold)
    }

    /// Lower-cased, accent-folded words and numbers: "Nº 9.503" → ["no", "9503"], "147º" → "147",
    /// "R$ 1.000,00" → ["r", "1000", "00"].
    public static func words(of text: String) -> [String] {
        lowercasedWords(of: text).map(fold)
    }

    /// Lower-cased words (accents kept) and numbers.
    static func lowercasedWords(of text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if character == ".", current.last?.isNumber == true {
                continue  // thousands separator inside a number
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.map { word in
            word.first?.isNumber == true ? String(word.prefix { $0.isNumber }) : word
        }
    }

    /// Lower case without diacritics ("Habilitação" → "habilitacao"); "º"/"ª" become "o"/"a".
    public static func fold(_ text: String) -> String {
        text.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: Locale(identifier: "pt_BR"))
            .replacingOccurrences(of: "º", with: "o").replacingOccurrences(of: "ª", with: "a")
    }

    /// Abbreviations of legal citations, as folded words, and what they stand for.
    static let abbreviations: [String: String] = [
        "arts": "art", "artigo": "art", "artigos": "art", "inc": "inciso", "par": "paragrafo", "al": "alinea",
    ]

    /// Folded Portuguese function words (and a few English ones), never indexed nor searched.
    static let stopwords: Set<String> = [
        "a", "ao", "aos", "as", "o", "os", "um", "uma", "uns", "umas", "de", "da", "do", "das", "dos", "dum", "duma",
        "em", "na", "no", "nas", "nos", "num", "numa", "por", "pela", "pelo", "pelas", "pelos", "para", "pra", "pro", "com",
        "sem", "e", "ou", "que", "se", "ser", "sao", "foi", "ha", "ter", "tem", "qual", "quais", "como", "quando", "onde",
        "quanto", "quantos", "quantas", "meu", "minha", "meus", "minhas", "eu", "voce", "isso", "isto", "esse", "essa",
        "este", "esta", "mais", "muito", "ja", "nao", "sim", "posso", "pode", "preciso", "devo", "the", "of", "and", "to",
        "is", "n", "lhe", "lhes", "ele", "ela", "eles", "elas", "seu", "sua", "seus", "suas", "nosso", "nossa", "aquele",
        "aquela", "aquilo", "ate", "entre", "sobre", "apos", "sob", "mesmo", "mesma", "tambem", "so", "ainda", "entao",
        "la", "aqui", "ai", "me", "te", "nem", "sera", "serao", "sido", "estar", "estao", "era", "eram",
        "tenho", "tinha", "vou", "vai", "fazer", "faz", "coisa", "alguem", "algum", "alguma", "todo", "toda", "todos", "todas",
        "outro", "outra", "outros", "outras", "cada", "qualquer", "quem", "porque", "pois", "seja", "sejam", "ne", "tipo",
    ]
}
