import Foundation

/// Minimums (and a maximum) a report must meet; what `guiche eval --min-…` checks.
public struct EvalThresholds: Sendable, Equatable {
    public var hit1: Double?
    public var hit3: Double?
    public var hit5: Double?
    public var mrr: Double?
    public var facts: Double?
    public var refusalPrecision: Double?
    public var refusalRecall: Double?
    /// Most answers with an unsupported figure, as a share.
    public var unsupported: Double?
    /// Most in-scope questions refused, as a share.
    public var refusedInScope: Double?

    public init(hit1: Double? = nil, hit3: Double? = nil, hit5: Double? = nil, mrr: Double? = nil, facts: Double? = nil,
                refusalPrecision: Double? = nil, refusalRecall: Double? = nil, unsupported: Double? = nil, refusedInScope: Double? = nil) {
        self.refusedInScope = refusedInScope
        self.hit1 = hit1
        self.hit3 = hit3
        self.hit5 = hit5
        self.mrr = mrr
        self.facts = facts
        self.refusalPrecision = refusalPrecision
        self.refusalRecall = refusalRecall
        self.unsupported = unsupported
    }

    /// The thresholds `summary` misses, described; a threshold on something not measured (facts
    /// in a retrieval-only run) is missed too.
    public func misses(_ summary: EvalReport.Summary) -> [String] {
        var misses: [String] = []
        func atLeast(_ name: String, _ value: Double?, _ minimum: Double?) {
            guard let minimum else { return }
            guard let value else { return misses.append("\(name): not measured (needs \(minimum))") }
            if value < minimum { misses.append(String(format: "%@ %.3f < %.3f", name, value, minimum)) }
        }
        atLeast("hit@1", summary.hit1, hit1)
        atLeast("hit@3", summary.hit3, hit3)
        atLeast("hit@5", summary.hit5, hit5)
        atLeast("MRR", summary.mrr, mrr)
        atLeast("key facts", summary.factAccuracy, facts)
        atLeast("refusal precision", summary.refusalPrecision, refusalPrecision)
        atLeast("refusal recall", summary.refusalRecall, refusalRecall)
        func atMost(_ name: String, _ value: Double?, _ maximum: Double?) {
            guard let maximum else { return }
            guard let value else { return misses.append("\(name): not measured (needs answers)") }
            if value > maximum { misses.append(String(format: "%@ %.3f > %.3f", name, value, maximum)) }
        }
        atMost("unsupported figures", summary.unsupportedShare, unsupported)
        atMost("in-scope questions refused", summary.refusedInScope, refusedInScope)
        return misses
    }
}
