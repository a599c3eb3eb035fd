@testable import LlamaRuntime
import Testing
import TestSupport

@Suite("Streaming text: UTF-8 boundaries and stop strings")
struct TextStreamingTests {
    @Test("a character split across pieces is emitted whole")
    func utf8Split() {
        var decoder = UTF8StreamDecoder()
        let bytes = Array("ação 🚗".utf8)  // ç and ã are 2 bytes, the car 4
        var output = ""
        var pieces: [String] = []
        for byte in bytes {
            let piece = decoder.append([byte])
            pieces.append(piece)
            output += piece
        }
        output += decoder.flush()
        #expect(output == "ação 🚗")
        #expect(pieces.allSatisfy { $0.unicodeScalars.allSatisfy { $0 != "\u{FFFD}" } })
        #expect(pieces.filter { !$0.isEmpty }.count == 6)
    }

    @Test("invalid bytes do not stall the stream")
    func invalidBytes() {
        var decoder = UTF8StreamDecoder()
        #expect(decoder.append([0xFF, 0x41]) == "\u{FFFD}A")
        #expect(decoder.append([0xE2, 0x82]) == "")
        #expect(decoder.flush() == "\u{FFFD}")
    }

    @Test("a stop string split across pieces is never emitted")
    func stopAcrossPieces() {
        var matcher = StopStringMatcher(stops: ["</fim>", "FIM"])
        var emitted = ""
        for piece in ["Olá, mun", "do! </f", "im> depois"] {
            let (text, stopped) = matcher.feed(piece)
            emitted += text
            if stopped { break }
        }
        #expect(emitted == "Olá, mundo! ")
    }

    @Test("a partial match that turns out not to be a stop string is released")
    func falseAlarm() {
        var matcher = StopStringMatcher(stops: ["FIM"])
        #expect(matcher.feed("abc F") == ("abc ", false))
        #expect(matcher.feed("Ixyz") == ("FIxyz", false))
        #expect(matcher.feed("FI") == ("", false))
        #expect(matcher.flush() == "FI")
    }

    @Test("without stop strings everything passes through")
    func noStops() {
        var matcher = StopStringMatcher(stops: [])
        #expect(matcher.feed("tudo") == ("tudo", false))
    }
}
