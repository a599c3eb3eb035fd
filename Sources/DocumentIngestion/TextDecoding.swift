import Foundation

/// Decodes text files the way Brazilian public documents come: UTF-8 (with or without BOM), else
/// Windows-1252 (a superset of Latin-1's printable characters).
public enum TextDecoding {
    public enum Encoding: String, Sendable { case utf8, windows1252 }

    public static func decode(_ data: Data) -> (text: String, encoding: Encoding) {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if let text = String(data: bytes, encoding: .utf8) {
            return (normalizeNewlines(text), .utf8)
        }
        let text = String(decoding: bytes.map { windows1252[Int($0)] }.flatMap { Array(String($0).utf8) }, as: UTF8.self)
        return (normalizeNewlines(text), .windows1252)
    }

    static func normalizeNewlines(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }

    /// The character a Windows-1252 byte stands for.
    static func windows1252(_ byte: UInt8) -> String {
        String(windows1252[Int(byte)])
    }

    /// Windows-1252: Latin-1 except 0x80–0x9F, which hold typographic characters (€, “, ”, –, —, …).
    private static let windows1252: [Character] = (0..<256).map { byte in
        let high: [Int: UInt32] = [
            0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021,
            0x88: 0x02C6, 0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018,
            0x92: 0x2019, 0x93: 0x201C, 0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC,
            0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A, 0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
        ]
        return Character(Unicode.Scalar(high[byte] ?? UInt32(byte))!)
    }
}
