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

    public init(similarityFloor: Float, figureFloor: Float? = nil) {
        self.similarityFloor = similarityFloor
        self.figureFloor = max(similarityFloor, figureFloor ?? similarityFloor)
    }

    /// Answers everything that found any evidence (a collection not calibrated yet).
    public static let permissive = RefusalPolicy(similarityFloor: 0)

    /// Whether `evidence` answers the question: close enough (closer when it asks for a figure,
    /// unless a table's row about what was asked states it: a row names what each of its figures
    /// is, and rows sit further from questions than prose does), and stating the kind of figure
    /// the question asks for ("em quantos dias?" is not answered by a passage without a duration).
    public func isAnswerable(_ evidence: Evidence) -> Bool {
        isClose(evidence) && !evidence.strength.lacksAskedFigure
            && (!evidence.strength.asksFigure || evidence.strength.passageSimilarity >= figureFloor
                || evidence.strength.recordStatesAskedFigure)
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
