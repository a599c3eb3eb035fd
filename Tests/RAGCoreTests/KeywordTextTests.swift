@testable import RAGCore
import Testing

@Suite("Keyword terms and the vocabulary")
struct KeywordTextTests {
    @Test("terms are stems with accents folded; a word typed without its accents finds the same stem", arguments: [
        ("habilitação", "habilitacao"), ("suspensão", "suspensao"), ("crianças", "criança"), ("idosos", "idosa"),
        ("pensões", "pensoes"), ("vigência", "vigencia"), ("responsável", "responsavel"),
    ])
    func stems(_ a: String, _ b: String) {
        #expect(KeywordText.terms(of: a) == KeywordText.terms(of: b), "\(KeywordText.terms(of: a)) vs \(KeywordText.terms(of: b))")
    }

    @Test("stop words go; numbers and legal abbreviations are normalised")
    func normalisation() {
        #expect(KeywordText.terms(of: "O que diz o Art. 147º da Lei nº 9.503?") == ["diz", "art", "147", "lei", "9503"])
        #expect(KeywordText.terms(of: "arts. 5 e 6") == ["art", "5", "6"])
    }

    @Test("numbers the law writes in words are terms in digits, as citizens type them; one written twice counts once")
    func numberWords() {
        #expect(KeywordText.terms(of: "A liberação será compulsória aos vinte e um anos de idade.") == ["liber", "compulsor", "21", "anos", "idad"])
        #expect(Set(KeywordText.terms(of: "se o jovem fizer 21 anos")).contains("21"))
        #expect(KeywordText.terms(of: "no prazo de 30 (trinta) dias") == ["praz", "30", "dias"])
        #expect(KeywordText.terms(of: "Pena - reclusão de um a quatro anos") == ["pen", "reclusa", "1", "4", "anos"])
        #expect(KeywordText.terms(of: "um adolescente e três crianças") == ["adolescent", "3", "crianc"])
        #expect(KeywordText.terms(of: "10% (dez por cento) dos assentos") == ["10", "assent"])
        #expect(KeywordText.terms(of: "cento e vinte dias") == ["120", "dias"])
    }

    @Test("sub-word overlap: a derived word form shares trigrams where BM25 sees no common stem; rare trigrams weigh more")
    func characterGrams() {
        func terms(_ text: String) -> Set<String> { Set(KeywordText.terms(of: text)) }
        let question = CharacterGrams(terms: KeywordText.terms(of: "sou pobre e estou desempregada"))
        let candidates = [
            terms("a falta ou a carência de recursos materiais não constitui motivo suficiente para a perda do poder familiar"),
            terms("o adolescente tem direito à profissionalização e à proteção no trabalho e no emprego"),
            terms("a criança tem direito à educação"),
        ]
        #expect(terms("desempregada").isDisjoint(with: candidates[1]), "no stem in common")
        let overlap = question.overlap(candidates)
        #expect(overlap.allSatisfy { (0...1).contains($0) })
        #expect(overlap[1] > overlap[0] && overlap[1] > overlap[2], "\(overlap): 'desempreg' and 'empreg' share trigrams")
        #expect(question.overlap([terms("sou pobre e estou desempregada")]) == [1], "every trigram held")
        #expect(CharacterGrams(terms: []).overlap(candidates) == [0, 0, 0])
        #expect(CharacterGrams.grams(of: ["ab"]).isDisjoint(with: CharacterGrams.grams(of: ["xab", "abc"])), "a short term is not a trigram")
    }

    @Test("vocabulary rules add the law's words for everyday ones, by stem and anywhere in the question")
    func vocabulary() throws {
        let vocabulary = try Vocabulary(parsing: """
            # comentário
            bafômetro, bafometro => etilômetro, teste de alcoolemia
            carteira de motorista, cnh => Carteira Nacional de Habilitação

            asilo => instituição de longa permanência
            """)
        #expect(vocabulary.expansion(of: "Posso recusar o BAFOMETROS na blitz?") == ["etilômetro", "teste de alcoolemia"])
        #expect(vocabulary.expansion(of: "minha carteira de motorista venceu e o meu pai está num asilo")
            == ["Carteira Nacional de Habilitação", "instituição de longa permanência"])
        #expect(vocabulary.expansion(of: "qual o prazo do recurso?").isEmpty)
        let query = KeywordQuery("perdi a cnh", vocabulary: vocabulary)
        #expect(query.terms.contains(KeywordText.stem("habilitação")) && query.terms.contains("cnh"))
    }

    @Test("a malformed vocabulary line is an error naming it")
    func malformed() {
        #expect(throws: Vocabulary.ParseError(line: 2, text: "bafômetro etilômetro")) {
            try Vocabulary(parsing: "# ok\nbafômetro etilômetro\n")
        }
        #expect(throws: Vocabulary.ParseError(line: 1, text: "=> etilômetro")) { try Vocabulary(parsing: "=> etilômetro") }
    }

    @Test("the built-in vocabulary parses and covers the transit words citizens use")
    func builtIn() throws {
        let vocabulary = try Vocabulary.builtIn()
        #expect(vocabulary.rules.count > 80)
        #expect(vocabulary.expansion(of: "fiz o teste do bafômetro").contains("etilômetro"))
        #expect(vocabulary.expansion(of: "quanto custa a autoescola").contains("Centro de Formação de Condutores"))
        #expect(vocabulary.expansion(of: "qual a nota minima pra passar na prova teorica?").contains("aproveitamento mínimo"))
        #expect(vocabulary.expansion(of: "quem usa óculos precisa avisar no exame?").contains("lentes corretoras"))
        #expect(vocabulary.rewrite("posso estacionar na calçada?") == "posso estacionar o veículo no passeio?")
        #expect(vocabulary.rewrite("a calçada é do pedestre?") == "a passeio é do pedestre?")
    }
}

@Suite("Vocabulary rewrites")
struct VocabularyRewriteTests {
    @Test("a question is rewritten in the law's words, phrase by phrase, inflection aside; nil when nothing matches")
    func rewrite() throws {
        let vocabulary = try Vocabulary(parsing: """
            bafômetro, bafometro => etilômetro, teste de alcoolemia
            carteira de motorista, carteira => Carteira Nacional de Habilitação
            """)
        #expect(vocabulary.rewrite("Posso recusar o BAFOMETRO na blitz?") == "Posso recusar o etilômetro na blitz?")
        #expect(vocabulary.rewrite("perdi minha carteira de motorista e as carteiras dos meus filhos")
            == "perdi minha Carteira Nacional de Habilitação e as Carteira Nacional de Habilitação dos meus filhos")
        #expect(vocabulary.rewrite("qual o prazo do recurso?") == nil)
    }

    @Test("the mean query vector is unit length and between its parts")
    func mean() {
        let mean = Retriever.mean([[1, 0], [0, 1]])
        #expect(abs(mean[0] - 0.7071) < 0.001 && abs(mean[1] - 0.7071) < 0.001)
        #expect(Retriever.mean([[0.6, 0.8]]) == [0.6, 0.8])
    }
}
