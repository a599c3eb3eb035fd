import Foundation

/// When the evidence answers a question: decided from the evidence, never by the chat model. The
/// floor comes from the collection's calibration (`RefusalCalibration`) or from configuration.
public struct RefusalPolicy: Sendable, Codable, Equatable {
    /// Below this cosine similarity between the question and its best passage, refuse.
    public var similarityFloor: Float
    /// The floor for a question that asks for a figure (a duration, an age, an amount …): a
    /// loosely related passage states some figure of that kind about something else, and a wrong
    /// figure misleads more than a refusal; so such a question needs a passage closer than nearly
    /// all out-of-domain questions reach (`RefusalCalibration.figureFloor`; measured with
    /// `guiche eval`, DEVELOPERS.md).
    public var figureFloor: Float
    /// The floor for a table's row about what was asked that states it
    /// (`EvidenceStrength.recordAnswers`): rows — codes, abbreviations, column after column — sit
    /// further from any question than prose does, so a record is held to the typical out-of-domain
    /// question's similarity, not to the floor calibrated on prose.
    public var recordFloor: Float

    public init(similarityFloor: Float, figureFloor: Float? = nil, recordFloor: Float? = nil) {
        self.similarityFloor = similarityFloor
        self.figureFloor = max(similarityFloor, figureFloor ?? similarityFloor)
        self.recordFloor = min(similarityFloor, recordFloor ?? similarityFloor)
    }

    /// Answers everything that found any evidence (a collection not calibrated yet).
    public static let permissive = RefusalPolicy(similarityFloor: 0)

    /// Whether `evidence` answers the question: close enough (closer when it asks for a figure;
    /// less close for a table's row about what was asked that states it: a row names what each of
    /// its values is), and stating the kind of figure the question asks for ("em quantos dias?" is
    /// not answered by a passage without a duration).
    public func isAnswerable(_ evidence: Evidence) -> Bool {
        let strength = evidence.strength
        guard !evidence.units.isEmpty, !strength.lacksAskedFigure else { return false }
        if strength.recordAnswers { return strength.passageSimilarity >= recordFloor }
        return isClose(evidence) && (!strength.asksFigure || strength.passageSimilarity >= figureFloor)
    }

    /// Whether a refused question still found something worth naming ("the closest passage is …").
    public func isClose(_ evidence: Evidence) -> Bool {
        !evidence.units.isEmpty && evidence.strength.passageSimilarity >= similarityFloor
    }
}

/// The refusal policy of a collection, replaced when the indexer calibrates it again.
public actor CalibrationStore {
    public private(set) var policy: RefusalPolicy

    public init(_ policy: RefusalPolicy = .permissive) {
        self.policy = policy
    }

    public func update(_ policy: RefusalPolicy) {
        self.policy = policy
    }
}
