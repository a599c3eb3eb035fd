import Logging

extension Logger {
    /// A logger that drops everything: the default when a caller passes none.
    public static let disabled = Logger(label: "guiche.disabled") { _ in SwiftLogNoOpLogHandler() }
}
