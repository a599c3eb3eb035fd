import Foundation

/// The age a question states about someone ("meu pai tem 72 anos", "Tenho 84 anos", "meu filho
/// de 16"), and whether a passage's age condition holds for it ("condutores com idade igual ou
/// superior a 70 anos", "maiores de 80 anos", "menor de 16 anos", "entre doze e dezoito anos"):
/// the law sorts people by age, and the device whose range holds the stated age is the one that
/// applies to them.
public enum StatedAge {
    /// The age `question` states, if it states one and does not ask for one ("com quantos anos…?").
    public static func stated(in question: String) -> Int? {
        guard AskedFigure.asked(in: question) != .age else { return nil }
        let words = FactNormalizer.words(question)
        for (index, word) in words.enumerated() {
            guard let value = Int(word), (1...120).contains(value) else { continue }
            let before = index > 0 ? words[index - 1] : ""
            let after = index + 1 < words.count ? words[index + 1] : ""
            // "faz 4 anos", "há uns 10 anos", "a cada 5 anos", "3 anos de habilitação": a time, not an age.
            let elapsed = words[max(0, index - 2)..<index].contains { ["faz", "ha", "fazem", "durante", "por", "cada", "apos", "em"].contains($0) }
                || index + 3 < words.count && words[index + 2] == "de" && heldThings.contains(words[index + 3])
            if after == "anos" || after == "ano" {
                if !elapsed { return value }
            } else if ["tem", "fez", "de", "completou"].contains(before), after.isEmpty || !units.contains(after) {
                // "meu pai de 72 amputou", "tem 83 e tem uma ação": an age without "anos".
                if before != "de" || index >= 2 && people.contains(words[index - 2]) { return value }
            }
        }
        return nil
    }

    /// Whether `text` states an age condition that `age` meets: "maiores de 65 anos", "menor de 16
    /// anos", or a comparison with an age ("idade igual ou superior a 70 anos", "idade inferior a
    /// 50 anos", "entre doze e dezoito anos de idade") — not a term ("pena superior a 4 anos").
    public static func holds(in text: String, for age: Int) -> Bool {
        verdict(in: text, for: age) == true
    }

    /// Whether an age condition `text` states holds for `age`: nil when it states none, false when
    /// none of those it states holds ("crianças menores de dez anos" for a 60-year-old).
    public static func verdict(in text: String, for age: Int) -> Bool? {
        let words = FactNormalizer.words(text)
        var states = false
        for (index, word) in words.enumerated() where word == "anos" || word == "ano" {
            guard index > 0, let threshold = Int(words[index - 1]) else { continue }
            func precededBy(_ phrase: String) -> Bool {
                let parts = phrase.split(separator: " ").map(String.init)
                return index - 1 >= parts.count && Array(words[(index - 1 - parts.count)..<(index - 1)]) == parts
            }
            if precededBy("maiores de") || precededBy("maior de") {
                states = true
                if age >= threshold { return true }
                continue
            }
            if precededBy("menores de") || precededBy("menor de") {
                states = true
                if age < threshold { return true }
                continue
            }
            let aboutAge = words[max(0, index - 7)..<index].contains("idade") || words.dropFirst(index + 1).prefix(2).elementsEqual(["de", "idade"])
            guard aboutAge else { continue }
            let holds: Bool
            if index >= 4, words[index - 4] == "entre", words[index - 2] == "e", let low = Int(words[index - 3]) {
                holds = (low...max(low, threshold)).contains(age)
            } else if precededBy("igual ou superior a") || precededBy("a partir de") || precededBy("minima de") {
                holds = age >= threshold
            } else if precededBy("superior a") || precededBy("acima de") || precededBy("mais de") {
                holds = age > threshold
            } else if precededBy("inferior a") || precededBy("abaixo de") || precededBy("menos de") {
                holds = age < threshold
            } else if precededBy("ate") || precededBy("maxima de") {
                holds = age <= threshold
            } else {
                continue
            }
            if holds { return true }
            states = true
        }
        return states ? false : nil
    }

    /// Words after a number that make it something else than an age.
    private static let units: Set<String> = ["dias", "dia", "meses", "mes", "horas", "hora", "%", "reais", "r", "vezes", "pontos", "km"]

    /// Folded words after "N anos de" that make N years of something ("3 anos de habilitação"),
    /// not an age; punctuation is gone from the words ("72 anos, de quanto em quanto tempo…").
    private static let heldThings: Set<String> = [
        "habilitacao", "cnh", "carteira", "carta", "categoria", "contribuicao", "servico", "trabalho", "experiencia",
        "prisao", "reclusao", "detencao", "pena", "casado", "casada", "casamento", "uniao", "guarda",
    ]

    /// Folded words naming a person, before "de 72".
    private static let people: Set<String> = [
        "pai", "mae", "avo", "filho", "filha", "neto", "neta", "tio", "tia", "irmao", "irma", "menino", "menina",
        "crianca", "adolescente", "moleque", "senhor", "senhora", "idoso", "idosa", "marido", "esposa", "sogra", "sogro",
    ]
}
