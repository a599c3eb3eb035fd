@testable import RAGCore
import Testing

/// When evidence answers, on scripted strengths (the calibration itself runs on real models in
/// `IndexerTests` and `guiche eval`).
@Suite("Refusal policy")
struct RefusalPolicyTests {
    static func evidence(similarity: Float, asksFigure: Bool, lacksFigure: Bool = false) -> Evidence {
        Evidence(
            units: [EvidenceUnit(text: "Art. 1º O prazo é de 30 (trinta) dias.", citation: "Lei nº 1/2000, art. 1º", source: 0)],
            strength: .init(similarity: similarity, passageSimilarity: similarity, keywordSupport: 0.5, asksFigure: asksFigure, lacksAskedFigure: lacksFigure))
    }

    @Test("a question asking for a figure needs a closer passage than one that does not")
    func figureFloor() {
        let policy = RefusalPolicy(similarityFloor: 0.85, figureFloor: 0.88)
        #expect(policy.isAnswerable(Self.evidence(similarity: 0.86, asksFigure: false)))
        #expect(!policy.isAnswerable(Self.evidence(similarity: 0.86, asksFigure: true)))
        #expect(policy.isClose(Self.evidence(similarity: 0.86, asksFigure: true)), "a refusal still names what is close")
        #expect(policy.isAnswerable(Self.evidence(similarity: 0.89, asksFigure: true)))
        #expect(!policy.isAnswerable(Self.evidence(similarity: 0.89, asksFigure: true, lacksFigure: true)))
        #expect(!policy.isAnswerable(Self.evidence(similarity: 0.84, asksFigure: false)))
        #expect(RefusalPolicy(similarityFloor: 0.85, figureFloor: 0.8).figureFloor == 0.85, "never below the floor")
    }

    @Test("a table's row about what was asked answers above the record floor, below the others; never without the asked figure")
    func recordFloor() {
        let policy = RefusalPolicy(similarityFloor: 0.85, figureFloor: 0.88, recordFloor: 0.83)
        var record = Self.evidence(similarity: 0.84, asksFigure: true)
        #expect(!policy.isAnswerable(record))
        record.strength.recordAnswers = true
        #expect(policy.isAnswerable(record))
        record.strength.passageSimilarity = 0.82
        #expect(!policy.isAnswerable(record))
        record.strength.passageSimilarity = 0.9
        record.strength.lacksAskedFigure = true
        #expect(!policy.isAnswerable(record))
        #expect(RefusalPolicy(similarityFloor: 0.85, recordFloor: 0.9).recordFloor == 0.85, "never above the floor")
    }

    @Test("a pseudo-question from a table's row is made of its values, not of the column names every row shares")
    func rowPseudoQuestion() {
        let row = "Código da Infração: 5185; Descrição da Infração: Deixar o condutor de usar o cinto segurança; Gravidade: Grave; Pontos: 5."
        #expect(RefusalCalibration.pseudoQuestion(from: row) == "Deixar o condutor de usar o cinto segurança Grave?")
        #expect(RefusalCalibration.pseudoQuestion(from: "Art. 1º O prazo de validade é de 30 dias para todos.") == "prazo de validade é de dias para todos.?")
    }

    @Test("the figure floor is the out-of-domain bank's 95th percentile, capped at the typical pseudo-question; the record floor its median")
    func calibratedFigureFloor() {
        let calibration = RefusalCalibration(outside: [0.84, 0.87, 0.876, 0.91], inside: [0.867, 0.898], floor: 0.857, version: 3)
        #expect(calibration.policy == RefusalPolicy(similarityFloor: 0.857, figureFloor: 0.876, recordFloor: 0.84))
        let crowded = RefusalCalibration(outside: [0.84, 0.9, 0.93, 0.95], inside: [0.867, 0.898], floor: 0.857, version: 3)
        #expect(crowded.figureFloor == 0.898)
    }
}
