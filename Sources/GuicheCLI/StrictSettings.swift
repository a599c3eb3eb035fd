import ArgumentParser
import Configuration

/// Numeric settings read strictly: swift-configuration's `int(forKey:default:)` falls back to the
/// default when a value does not parse, so `PORT=abc` served on 8000. Here a value that is set
/// but is not a number stops the command with a message naming the variable (exit 64).
extension ConfigReader {
    /// The environment variable a key is read from: `n.threads` → `N_THREADS`.
    static func variable(_ key: ConfigKey) -> String {
        key.components.joined(separator: "_").uppercased()
    }

    /// An integer setting, nil when unset (or set empty, as `${VAR:-}` in a stack file does).
    func integer(_ key: ConfigKey) throws -> Int? {
        guard let text = string(forKey: key), !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("\(Self.variable(key)) must be an integer, got '\(text)'")
        }
        return value
    }

    /// An integer setting, `fallback` when unset.
    func integer(_ key: ConfigKey, default fallback: Int) throws -> Int {
        try integer(key) ?? fallback
    }

    /// A decimal setting, nil when unset (or set empty).
    func number(_ key: ConfigKey) throws -> Double? {
        guard let text = string(forKey: key), !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw ValidationError("\(Self.variable(key)) must be a number, got '\(text)'")
        }
        return value
    }

    /// A decimal setting, `fallback` when unset.
    func number(_ key: ConfigKey, default fallback: Double) throws -> Double {
        try number(key) ?? fallback
    }

    /// A true/false setting (`true`/`false`, `1`/`0`, `yes`/`no`), `fallback` when unset or empty.
    func boolean(_ key: ConfigKey, default fallback: Bool) throws -> Bool {
        guard let text = string(forKey: key)?.trimmingCharacters(in: .whitespaces).lowercased(), !text.isEmpty else { return fallback }
        switch text {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ValidationError("\(Self.variable(key)) must be true or false, got '\(text)'")
        }
    }
}
