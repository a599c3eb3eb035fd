import Foundation
import Hummingbird
import ServiceSupport

/// The parts of a `multipart/form-data` body (RFC 7578), enough for a form that sends a file.
enum MultipartForm {
    struct Part {
        var name: String?
        var fileName: String?
        var body: ByteBuffer
    }

    /// The boundary of a `multipart/form-data` content type, nil for any other.
    static func boundary(_ contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty || value.count > 200 ? nil : value
            }
        }
        return nil
    }

    /// The parts between the boundaries; a body that is not such a form is a 400.
    static func parse(_ body: ByteBuffer, boundary: String) throws -> [Part] {
        let bytes = Array(body.readableBytesView)
        let delimiter = Array("--\(boundary)".utf8)
        var starts: [Int] = []
        var index = 0
        while let found = find(delimiter, in: bytes, from: index) {
            starts.append(found)
            index = found + delimiter.count
        }
        guard starts.count >= 2 else { throw APIError.invalidRequest("malformed multipart/form-data body") }
        var parts: [Part] = []
        for (start, end) in zip(starts, starts.dropFirst()) {
            var from = start + delimiter.count
            if bytes[from..<min(from + 2, bytes.count)] == [13, 10] { from += 2 }
            guard let headerEnd = find(Array("\r\n\r\n".utf8), in: bytes, from: from), headerEnd < end else {
                throw APIError.invalidRequest("malformed multipart/form-data part")
            }
            let headers = String(decoding: bytes[from..<headerEnd], as: UTF8.self)
            var contentEnd = end
            if contentEnd - 2 >= headerEnd + 4, bytes[(contentEnd - 2)..<contentEnd] == [13, 10] { contentEnd -= 2 }
            var part = Part(body: ByteBuffer(bytes: bytes[(headerEnd + 4)..<max(headerEnd + 4, contentEnd)]))
            for line in headers.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                part.name = parameter("name", in: line)
                part.fileName = parameter("filename", in: line)
            }
            parts.append(part)
        }
        return parts
    }

    /// `key="value"` in a header line.
    private static func parameter(_ key: String, in line: String) -> String? {
        for item in line.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == key { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0], Array(haystack[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
    }
}
