@testable import Evaluation
import Foundation
import RAGCore
import Testing

@Suite("Evaluation: question files, normalisation and scoring")
struct EvalScoringTests {
    @Test("a question line is read with its expected articles, facts and scope")
    func parsesQuestion() throws {
        let question = try EvalQuestion.parse(
            #"{"id": "q1", "pergunta": "Com quantos anos posso adotar?", "esperado": {"documento": "l8069-eca.htm", "artigos": ["Art. 42", "art 244-A"]}, "fatos": ["18 anos"], "fora_do_escopo": false, "tipo": "coloquial"}"#,
            defaultID: "x")
        #expect(question.id == "q1")
        #expect(question.expected == Expectation(document: "l8069-eca.htm", articles: ["42", "244-A"]))
        #expect(question.facts == ["18 anos"] && !question.outOfScope && question.kind == "coloquial")
        let short = try EvalQuestion.parse(#"{"pergunta": "O que diz o art. 5º?", "esperado": ["Art. 5º", "ctb.htm"]}"#, defaultID: "set-3")
        #expect(short.id == "set-3" && short.expected == Expectation(document: "ctb.htm", articles: ["5"]))
        let outside = try EvalQuestion.parse(#"{"pergunta": "Quanto custa o IPVA?", "esperado": null, "fora_do_escopo": true}"#, defaultID: "y")
        #expect(outside.outOfScope && outside.expected == nil)
    }

    @Test("a bad question line is an error naming the problem", arguments: [
        (#"{"esperado": ["Art. 1"]}"#, "pergunta"),
        (#"{"pergunta": "  ", "esperado": ["Art. 1"]}"#, "empty"),
        (#"{"pergunta": "Oi?"}"#, "esperado"),
        (#"{"pergunta": "Oi?", "esperado": {"artigos": ["capítulo 2"]}}"#, "not an article"),
        ("not json", "not a question object"),
    ])
    func rejectsBadLines(line: String, reason: String) {
        #expect {
            try EvalQuestion.parse(line, defaultID: "x")
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test("a question file names the line at fault")
    func fileErrors() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID()).jsonl").path
        try "{\"pergunta\": \"a?\", \"esperado\": [\"Art. 1\"]}\n\n{\"pergunta\": 3}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try EvalQuestion.load(path)
        } throws: { error in
            "\(error)".hasSuffix(":3: not a question object (pergunta, esperado, fatos, fora_do_escopo)")
        }
    }

    @Test("facts are compared after normalising case, accents, number words and cents", arguments: [
        ("O prazo é de trinta (30) dias.", "30 dias", true),
        ("O prazo é de 30 (trinta) dias.", "30 dias", true),
        ("A partir dos SESSENTA E CINCO anos", "65 anos", true),
        ("desconto de pelo menos cinquenta por cento", "50%", true),
        ("multa de R$ 1.000,00 a R$ 3.000,00", "R$ 1.000,00", true),
        ("multa de R$ 1000", "R$ 1.000,00", true),
        ("Conselho Tutelar", "conselho tutelar", true),
        ("dois mil e quinhentos reais", "2500 reais", true),
        ("65 anos", "60 anos", false),
        ("o prazo é de 130 dias", "30 dias", false),
        ("uma vez por ano", "1 vez", false),
        ("reclusão de 1 (um) a 4 (quatro) anos", "1 a 4 anos", true),
        ("Pena - reclusão de um a quatro anos, e multa.", "1 a 4 anos", true),
        ("Permissão para Dirigir, com validade de um ano", "1 ano", true),
        ("entre um e três salários", "1 e 3 salários", true),
        ("um adolescente e uma criança", "1 adolescente", false),
        ("uma a uma", "1 a 1", false),
        ("com antecedência mínima de 1 (um) ano", "1 ano", true),
        ("o benefício mensal de 1 (um) salário mínimo", "1 salário mínimo", true),
    ])
    func facts(answer: String, fact: String, present: Bool) {
        #expect(FactNormalizer.contains(answer, fact: fact) == present, "\(FactNormalizer.words(answer)) vs \(FactNormalizer.words(fact))")
    }

    @Test("articles covered by a source come from its location, ranges included, and from its lines")
    func coveredArticles() {
        #expect(ArticleNumber.covered(location: "Título II › Capítulo I › Art. 7º – Art. 9º", text: "") == ["7", "8", "9"])
        #expect(ArticleNumber.covered(location: "p. 3, Art. 244-A › § 1º", text: "Art. 245. Deixar o médico…\ncf. art. 13") == ["244-A", "245"])
        #expect(ArticleNumber.parse("Artigo 1.048") == "1048")
        #expect(ArticleNumber.parse("Capítulo II") == nil)
    }

    @Test("rank is the first source at the expected document and article")
    func rank() {
        let sources = [
            EvalSource(document: "leis/l10741.htm", title: "Lei nº 10.741/2003", location: "Art. 39", text: "…"),
            EvalSource(document: "leis/l8069-eca.htm", title: "Lei nº 8.069/1990", location: "Art. 41", text: "…"),
            EvalSource(document: "leis/l8069-eca.htm", title: "Lei nº 8.069/1990", location: "Capítulo III › Art. 42 › § 3º", text: "…"),
        ]
        #expect(EvalScoring.rank(of: Expectation(document: "l8069-eca.htm", articles: ["42"]), in: sources) == 3)
        #expect(EvalScoring.rank(of: Expectation(document: "l8069-eca.htm"), in: sources) == 2)
        #expect(EvalScoring.rank(of: Expectation(articles: ["39"]), in: sources) == 1)
        #expect(EvalScoring.rank(of: Expectation(document: "l8069-eca.htm", articles: ["39"]), in: sources) == nil)
    }

    @Test("figures no source or question supports are flagged; citations and list numbers are not figures")
    func unsupportedFigures() {
        let evidence = ["Lei nº 9.503/1997, art. 147: renovável a cada 10 (dez) anos até os 50 anos"]
        let answer = "1. Renove a cada dez anos [1].\n2. Depois dos 70 anos, a cada 3 anos [2], na categoria B."
        #expect(EvalScoring.unsupportedFigures(in: answer, evidence: evidence, question: "renovação aos 70 anos?") == ["3", "categoria b"])
        #expect(EvalScoring.isRefusal("Não encontrei essa informação nos documentos disponíveis."))
        #expect(!EvalScoring.isRefusal("Encontrei: o prazo é 30 dias."))
    }

    @Test("totals: hit@k, MRR, refusal precision and recall, nearest-rank latency")
    func summary() {
        func result(_ id: String, rank: Int?, outOfScope: Bool = false, refused: Bool?, missing: [String]? = nil) -> QuestionResult {
            QuestionResult(id: id, question: id, kind: "k", outOfScope: outOfScope, rank: rank, sources: [], retrievalMilliseconds: Double(id.count),
                           refused: refused, missingFacts: missing)
        }
        let report = EvalReport(questions: [
            result("a", rank: 1, refused: false, missing: []), result("bb", rank: 3, refused: false, missing: ["x"]),
            result("ccc", rank: nil, refused: true, missing: ["y"]), result("dddd", rank: nil, outOfScope: true, refused: true),
            result("eeeee", rank: nil, outOfScope: true, refused: false),
        ], retrievalOnly: false)
        let s = report.summary
        #expect(s.ranked == 3 && s.hit1 == 1.0 / 3 && s.hit3 == 2.0 / 3 && s.hit5 == 2.0 / 3)
        #expect(abs(s.mrr! - (1 + 1.0 / 3) / 3) < 1e-9)
        #expect(s.factAccuracy == 1.0 / 3)
        #expect(s.refusalPrecision == 0.5 && s.refusalRecall == 0.5)
        #expect(s.retrieval == EvalReport.Latency(p50: 3, p95: 5))
    }
}

@Suite("Evaluation: thresholds and FaQuAD")
struct EvalThresholdTests {
    static func summary(hit5: Double?, facts: Double?) -> EvalReport.Summary {
        EvalReport.Summary(questions: 10, ranked: 8, hit1: 0.5, hit3: 0.7, hit5: hit5, mrr: 0.6, hit5ByKind: [:], factAccuracy: facts)
    }

    @Test("a missed threshold is reported; one on something not measured is missed too")
    func misses() {
        let thresholds = EvalThresholds(hit5: 0.9, facts: 0.5)
        #expect(thresholds.misses(Self.summary(hit5: 0.95, facts: 0.6)).isEmpty)
        #expect(thresholds.misses(Self.summary(hit5: 0.85, facts: 0.6)) == ["hit@5 0.850 < 0.900"])
        #expect(thresholds.misses(Self.summary(hit5: 0.95, facts: nil)) == ["key facts: not measured (needs 0.5)"])
        #expect(EvalThresholds(unsupported: 0.1).misses(Self.summary(hit5: 1, facts: 1)) == ["unsupported figures: not measured (needs answers)"])
    }

    @Test("a SQuAD file becomes one document per article and one question per answer")
    func faquad() throws {
        let squad = #"""
            {"version": "1.1", "data": [{"title": "Regimento Geral", "paragraphs": [
              {"context": "o aluno tem 30 dias para trancar.", "qas": [{"id": "q1", "question": "quanto tempo para trancar?", "answers": [{"text": "30 dias", "answer_start": 12}]}]},
              {"context": "a matrícula é anual.", "qas": [{"id": "q2", "question": "a matrícula é como?", "answers": [{"text": "anual", "answer_start": 14}]}]}]}]}
            """#
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("squad-\(UUID()).json").path
        try squad.write(toFile: path, atomically: true, encoding: .utf8)
        let set = try FaQuAD.load(path)
        #expect(set.documents.map(\.name) == ["001-regimento-geral.txt"])
        #expect(set.documents[0].text == "o aluno tem 30 dias para trancar.\n\na matrícula é anual.")
        #expect(set.questions.map(\.id) == ["q1", "q2"])
        #expect(set.questions[0].expected == Expectation(document: "001-regimento-geral.txt", passage: "30 dias"))
        #expect(throws: EvalSetError.self) { try FaQuAD.load("/nonexistent/squad.json") }
    }
}
