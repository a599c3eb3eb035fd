import Foundation
import HTTPTypes
import NIOCore

/// Server-Sent Events as the services write them: one `data: <json>` line per event, a blank line
/// after each, `data: [DONE]` last (OpenAI's convention), an `ErrorBody` event before `[DONE]`
/// when the stream fails.
public enum ServerSentEvent {
    /// `data: <json>\n\n`.
    public static func data(_ value: some Encodable) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try JSONEncoder().encode(value))
        buffer.writeString("\n\n")
        return buffer
    }

    /// The data of the last event of a stream.
    public static let doneMarker = "[DONE]"

    /// `data: [DONE]\n\n`, the end of a stream.
    public static let done = ByteBuffer(string: "data: \(doneMarker)\n\n")

    /// `:\n\n`, a comment every reader skips: sent while an answer is quiet, so that a client
    /// that went away is noticed at the next write.
    public static let heartbeat = ByteBuffer(string: ":\n\n")

    /// Headers of an event stream response.
    public static let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
}

/// Reads an event stream as bytes arrive, in pieces of any size: text is decoded only once a
/// whole line is in, so a character split across two reads ("ç" is two bytes in UTF-8) arrives
/// intact. Follows the WHATWG parsing rules for the fields the services use (`data`, `event`;
/// comments and other fields skipped; LF, CRLF and CR line ends).
public struct ServerSentEventDecoder: Sendable {
    /// One dispatched event.
    public struct Event: Sendable, Equatable {
        /// The `event:` field, when the event has one.
        public var name: String?
        /// The `data:` lines, joined by "\n".
        public var data: String

        public init(name: String? = nil, data: String) {
            self.name = name
            self.data = data
        }
    }

    private var line: [UInt8] = []
    private var dataLines: [String] = []
    private var name: String?
    /// The previous byte was a CR (a following LF belongs to the same line end).
    private var afterCarriageReturn = false

    public init() {}

    /// Feeds the next bytes; returns the events they complete, in order.
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if afterCarriageReturn {
                afterCarriageReturn = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"):
                if let event = endLine() { events.append(event) }
            case UInt8(ascii: "\r"):
                afterCarriageReturn = true
                if let event = endLine() { events.append(event) }
            default:
                line.append(byte)
            }
        }
        return events
    }

    /// Whether bytes of an event not yet ended by a blank line are held.
    public var hasPartialEvent: Bool { !line.isEmpty || !dataLines.isEmpty }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer { dataLines = []; name = nil }
            guard !dataLines.isEmpty else { return nil }
            return Event(name: name, data: dataLines.joined(separator: "\n"))
        }
        if line.first == UInt8(ascii: ":") { return nil }  // a comment
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        let field = String(decoding: line[..<colon], as: UTF8.self)
        var valueStart = colon < line.endIndex ? line.index(after: colon) : colon
        if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart = line.index(after: valueStart) }
        let value = String(decoding: line[valueStart...], as: UTF8.self)
        switch field {
        case "data": dataLines.append(value)
        case "event": name = value
        default: break
        }
        return nil
    }
}
