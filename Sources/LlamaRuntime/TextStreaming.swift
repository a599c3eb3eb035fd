/// Turns a stream of token bytes into text without ever splitting a UTF-8 character: bytes of an
/// incomplete trailing character are held back until the next piece completes them.
struct UTF8StreamDecoder {
    private var pending: [UInt8] = []

    /// Adds `bytes` and returns the text that is now complete.
    mutating func append(_ bytes: [UInt8]) -> String {
        pending.append(contentsOf: bytes)
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Returns whatever is held back (an incomplete character becomes U+FFFD).
    mutating func flush() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix that does not end inside a multi-byte character.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        // Look back at most 3 bytes for the lead byte of the last character.
        var index = bytes.count - 1
        var continuationBytes = 0
        while index >= 0, continuationBytes < 3, bytes[index] & 0b1100_0000 == 0b1000_0000 {
            continuationBytes += 1
            index -= 1
        }
        guard index >= 0 else { return bytes.count }
        let lead = bytes[index]
        let expected: Int
        switch lead {
        case 0b1100_0000...0b1101_1111: expected = 1
        case 0b1110_0000...0b1110_1111: expected = 2
        case 0b1111_0000...0b1111_0111: expected = 3
        default: return bytes.count  // ASCII or an invalid lead byte: nothing to wait for
        }
        return continuationBytes < expected ? index : bytes.count
    }
}

/// Finds stop strings in streamed text. Text that might be the beginning of a stop string is held
/// back until it is decided, so a stop string never reaches the client, even split across tokens.
struct StopStringMatcher {
    private let stops: [String]
    private var held = ""

    init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
    }

    /// Feeds `text`; returns what may be emitted now and whether a stop string was reached.
    mutating func feed(_ text: String) -> (emit: String, stopped: Bool) {
        guard !stops.isEmpty else { return (text, false) }
        held += text
        var earliest: String.Index?
        for stop in stops {
            if let range = held.range(of: stop), earliest == nil || range.lowerBound < earliest! {
                earliest = range.lowerBound
            }
        }
        if let earliest {
            let emit = String(held[..<earliest])
            held = ""
            return (emit, true)
        }
        let keep = longestSuffixThatStartsAStop()
        let emit = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        return (emit, false)
    }

    /// Text still held back (generation ended without reaching a stop string).
    mutating func flush() -> String {
        defer { held = "" }
        return held
    }

    private func longestSuffixThatStartsAStop() -> Int {
        var best = 0
        for stop in stops {
            let limit = min(stop.count - 1, held.count)
            if limit <= best { continue }
            for length in stride(from: limit, to: best, by: -1) where stop.hasPrefix(held.suffix(length)) {
                best = length
                break
            }
        }
        return best
    }
}
