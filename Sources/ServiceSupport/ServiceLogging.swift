import Foundation
import Logging
import Synchronization

/// Logging for a service process: standard output plus a size-rotated file in the service's logs
/// folder (the original system's `app/logs`).
public enum ServiceLogging {
    /// How log lines are written (`LOG_FORMAT`).
    public enum Format: String, Sendable {
        /// `time level label: message key=value …`
        case text
        /// One JSON object per line: `time`, `level`, `label`, `message` and the metadata's keys.
        case json
    }

    /// `LOGS_DIR` with `{host}` replaced by this machine's (or container's) host name: replicas
    /// sharing one logs volume (`docker compose --scale`) then write one folder each.
    public static func directory(_ template: String, hostName: String = ProcessInfo.processInfo.hostName) -> String {
        template.replacingOccurrences(of: "{host}", with: hostName)
    }

    /// Bootstraps the process-wide logging system (call once, from the executable) and returns the
    /// service's root logger.
    public static func makeLogger(
        label: String, level: Logger.Level, file path: String, format: Format = .text, maxBytes: Int = 10 << 20, keep: Int = 5
    ) throws -> Logger {
        let file = try RotatingLogFile(path: path, maxBytes: maxBytes, keep: keep)
        LoggingSystem.bootstrap { label in
            let toFile = LineLogHandler(label: label, format: format, write: file.write)
            return switch format {
            case .text: MultiplexLogHandler([StreamLogHandler.standardOutput(label: label), toFile])
            case .json: MultiplexLogHandler([LineLogHandler(label: label, format: .json, write: { print($0) }), toFile])
            }
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

/// An append-only log file that moves itself to `name.1` (… `name.keep`) when it outgrows `maxBytes`.
public final class RotatingLogFile: Sendable {
    private struct State {
        var handle: FileHandle
        var size: Int
    }

    public let path: String
    private let maxBytes: Int
    private let keep: Int
    private let state: Mutex<State>

    public init(path: String, maxBytes: Int, keep: Int) throws {
        self.path = path
        self.maxBytes = maxBytes
        self.keep = max(1, keep)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let (handle, size) = try Self.open(path)
        state = Mutex(State(handle: handle, size: size))
    }

    /// Appends `line` (a newline is added), rotating first when the file would grow past the limit.
    public func write(_ line: String) {
        let data = Data((line + "\n").utf8)
        state.withLock { state in
            if state.size > 0, state.size + data.count > maxBytes, let reopened = try? rotate(closing: state.handle) {
                state = reopened
            }
            state.handle.write(data)
            state.size += data.count
        }
    }

    private func rotate(closing handle: FileHandle) throws -> State {
        try handle.close()
        let files = FileManager.default
        try? files.removeItem(atPath: "\(path).\(keep)")
        for index in stride(from: keep - 1, through: 1, by: -1) where files.fileExists(atPath: "\(path).\(index)") {
            try files.moveItem(atPath: "\(path).\(index)", toPath: "\(path).\(index + 1)")
        }
        try files.moveItem(atPath: path, toPath: "\(path).1")
        let (newHandle, size) = try Self.open(path)
        return State(handle: newHandle, size: size)
    }

    private static func open(_ path: String) throws -> (FileHandle, Int) {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let size = Int(try handle.seekToEnd())
        return (handle, size)
    }
}

/// A swift-log handler writing one line per message, as text (`time level label: message key=value
/// …`) or as one JSON object (`LOG_FORMAT=json`: `time`, `level`, `label`, `message` and the
/// metadata's keys, numbers as numbers), to a `RotatingLogFile` or standard output.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let format: ServiceLogging.Format
    private let write: @Sendable (String) -> Void

    public init(label: String, format: ServiceLogging.Format, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.format = format
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        write(Self.line(format: format, time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged))
    }

    static func line(
        format: ServiceLogging.Format, time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> String {
        switch format {
        case .text:
            let details = metadata.isEmpty ? "" : " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return "\(time.ISO8601Format()) \(level) \(label): \(message)\(details)"
        case .json:
            var object: [String: Any] = [:]
            for (key, value) in metadata { object[key] = json(value) }
            object["time"] = time.ISO8601Format()
            object["level"] = level.rawValue
            object["label"] = label
            object["message"] = message
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    private static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let string): return Int(string) ?? Double(string).map { $0 as Any } ?? string
        case .stringConvertible(let convertible): return "\(convertible)"
        case .array(let values): return values.map(json)
        case .dictionary(let values): return values.mapValues(json)
        }
    }
}
