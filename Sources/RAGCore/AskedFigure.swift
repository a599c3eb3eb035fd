import Foundation

/// The kind of figure a question asks for, read from its wording ("quantos dias", "com quantos
/// anos", "quanto custa", "qual o percentual"), and whether a passage states one. A passage that
/// answers "em quanto tempo?" states a duration; this is the evidence's strongest structural hint.
public enum AskedFigure: String, Sendable, CaseIterable {
    case duration, age, amount, percentage, count

    /// What `question` asks for, most specific first; nil for questions that ask for no figure.
    public static func asked(in question: String) -> AskedFigure? {
        let words = FactNormalizer.words(question)
        let text = " " + words.joined(separator: " ") + " "
        // A phrase followed by its figure ("idade máxima de 45", "o prazo de 30 dias") names what the
        // question says, not what it asks: "pode botar idade máxima de 45?" asks yes or no.
        func has(_ phrases: [String]) -> Bool {
            phrases.contains { phrase in
                text.ranges(of: " \(phrase) ").contains { range in
                    let next = text[range.upperBound...].split(separator: " ").drop { $0 == "de" }.first
                    return next?.first?.isNumber != true
                }
            }
        }
        if has(["%", "percentual", "porcentagem", "pct"]) { return .percentage }
        if has(["quanto custa", "custa", "valor", "preco", "quanto pago", "quanto paga", "quanto e a taxa", "reais", "r"]) { return .amount }
        // "Qual a idade", not "menor de idade" or "terceira idade".
        if has(["qual a idade", "qual idade", "que idade", "idade minima", "idade maxima", "com quantos anos", "a partir de quantos anos",
                "ate quantos anos", "quantos anos precisa", "quantos anos tem que", "diferenca de idade", "diferenca minima de idade"]) { return .age }
        if has(["quanto tempo", "prazo", "quantos dias", "quantos meses", "quantas horas", "quantas semanas", "quantos anos",
                "ate quando", "validade", "de quanto em quanto", "por quanto tempo", "em quantos dias", "dura"]) { return .duration }
        if has(["quantos", "quantas", "numero de", "quantidade"]) { return .count }
        return nil
    }

    /// Keyword terms of the words that ask for a figure or name its kind ("quanto custa", "o
    /// valor", "a taxa", "o prazo", "quantos dias"): a table names its columns with them.
    static let figureTerms = Set(KeywordText.terms(of: "custa custo custam valor valores preço taxa taxas pagar pago paga pagam reais real "
        + "prazo prazos tempo dias dia meses mês anos ano horas idade percentual porcentagem número quantidade quantia"))

    /// Whether `question` asks about a sanction (a penalty, a fine, what happens to whoever does
    /// something): then the figures of sanction lines answer it.
    public static func asksAboutSanction(_ question: String) -> Bool {
        let words = FactNormalizer.words(question)
        let text = " " + words.joined(separator: " ") + " "
        return words.contains(where: sanctionWords.contains) || text.contains(" o que acontece ")
    }

    private static let sanctionWords: Set<String> = [
        "pena", "penas", "multa", "multas", "crime", "crimes", "preso", "presa", "prisao", "cadeia", "punicao", "punido",
        "punida", "penalidade", "penalidades", "infracao", "infracoes", "pontos", "sancao", "sancoes", "detencao", "reclusao",
        "multado", "multada", "punir", "responde", "pega", "pegar", "pegam", "condenado", "condenada", "condenacao",
    ]

    /// Whether `text` states a figure of this kind.
    public func isStated(in text: String) -> Bool {
        let words = FactNormalizer.words(text)
        func numberFollowed(by units: Set<String>) -> Bool {
            zip(words, words.dropFirst()).contains { $0.first?.isNumber == true && units.contains($1) }
        }
        switch self {
        case .percentage: return words.contains("%")
        case .amount: return words.contains("r") && words.contains { $0.first?.isNumber == true } || numberFollowed(by: ["salario", "salarios", "reais"])
        case .age: return numberFollowed(by: ["anos", "ano"])
        case .duration: return numberFollowed(by: ["dias", "dia", "meses", "mes", "anos", "ano", "horas", "hora", "semanas", "minutos"])
        case .count: return words.contains { $0.first?.isNumber == true }
        }
    }
}
