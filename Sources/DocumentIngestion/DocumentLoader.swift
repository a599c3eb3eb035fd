import Foundation

/// Reads a file of any supported format into text.
public enum DocumentLoader {
    /// `load` on a thread of its own: conversions block (a PDF waits for pdftotext), so they
    /// stay off Swift's cooperative threads and off the caller's actor.
    public static func loadOffActor(_ url: URL, path: String) async throws -> LoadedDocument {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(with: Result { try load(url, path: path) })
            }
        }
    }

    /// Loads `url`; `path` is the document's identity (relative to the data folder).
    public static func load(_ url: URL, path: String) throws(LoadError) -> LoadedDocument {
        guard let format = DocumentFormat(fileExtension: url.pathExtension) else {
            throw LoadError(path: path, reason: "unsupported file type '.\(url.pathExtension)'")
        }
        do {
            let pages: [LoadedDocument.Page]
            switch format {
            case .text, .markdown:
                pages = [.init(number: nil, text: try readText(url))]
            case .csv:
                pages = [.init(number: nil, text: try CSVText.render(readText(url)))]
            case .json:
                pages = [.init(number: nil, text: try JSONText.render(Data(contentsOf: url)))]
            case .html:
                pages = [.init(number: nil, text: HTMLText.render(try readText(url)))]
            case .pdf:
                pages = try PDFText.pages(of: url)
            case .docx:
                pages = [.init(number: nil, text: try DOCXText.render(url))]
            }
            let document = LoadedDocument(path: path, format: format, pages: pages)
            if document.pages.allSatisfy({ $0.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
                throw LoadError(path: path, reason: "no text found (empty file, or a scanned PDF without a text layer)")
            }
            return document
        } catch let error as LoadError {
            throw error
        } catch {
            throw LoadError(path: path, reason: "\(error)")
        }
    }

    static func readText(_ url: URL) throws -> String {
        TextDecoding.decode(try Data(contentsOf: url)).text
    }
}

/// A problem in a file's contents, with a human description.
struct ContentError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// CSV rows rendered as "Header: value; Header: value", one row per paragraph, under the
/// spreadsheet's title lines as a Markdown heading (see `TableText`).
enum CSVText {
    static func render(_ text: String) throws -> String {
        let rows = parse(text).map { $0.map { $0.trimmingCharacters(in: .whitespaces) } }.filter { $0.contains { !$0.isEmpty } }
        guard !rows.isEmpty else { throw ContentError("empty CSV") }
        return TableText.lines(of: rows, header: TableText.headerIndex(of: rows) ?? 0).map { line in
            switch line {
            case .heading(let level, let text): String(repeating: "#", count: level) + " " + text
            case .row(let text): text
            }
        }.joined(separator: "\n\n")
    }

    /// The delimiter (`;` in Brazilian spreadsheets, `,`, or a tab): the one that splits the first
    /// lines into the same number of fields most often — a title line above the header has none,
    /// and decimal commas ("880,41") vary from row to row.
    static func delimiter(of text: String) -> Character {
        let lines = text.split(separator: "\n").prefix(20)
        func steadiness(_ delimiter: Character) -> (Int, Int) {
            let counts = lines.map { $0.count { $0 == delimiter } }.filter { $0 > 0 }
            let mode = Dictionary(grouping: counts, by: { $0 }).max { ($0.value.count, $0.key) < ($1.value.count, $1.key) }
            return (mode?.value.count ?? 0, mode?.key ?? 0)
        }
        return [";", ",", "\t"].max { steadiness($0) < steadiness($1) } ?? ","
    }

    /// RFC 4180 fields, split at `delimiter(of:)`.
    static func parse(_ text: String) -> [[String]] {
        let delimiter = delimiter(of: text)
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = Array(text).makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else {
                    field.append(character)
                }
            } else if character == "\"" && field.isEmpty {
                quoted = true
            } else if character == delimiter {
                row.append(field)
                field = ""
            } else if character == "\n" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.append(character)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}

/// JSON flattened to readable text: objects as "key: value" lines (nested keys joined with "."),
/// each element of an array of objects (e.g. an exported chat transcript) as its own paragraph.
enum JSONText {
    static func render(_ data: Data) throws -> String {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw ContentError("invalid JSON: \(error.localizedDescription)")
        }
        var blocks: [String] = []
        if let array = value as? [Any], array.allSatisfy({ $0 is [String: Any] }) {
            for element in array { blocks.append(lines(element, path: "").joined(separator: "\n")) }
        } else if let object = value as? [String: Any] {
            for key in object.keys.sorted() {
                let value = object[key]!
                if let array = value as? [Any], array.allSatisfy({ $0 is [String: Any] }) {
                    for element in array { blocks.append(lines(element, path: key).joined(separator: "\n")) }
                } else {
                    blocks.append(lines(value, path: key).joined(separator: "\n"))
                }
            }
        } else {
            blocks.append(lines(value, path: "").joined(separator: "\n"))
        }
        return blocks.filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    private static func lines(_ value: Any, path: String) -> [String] {
        switch value {
        case let object as [String: Any]:
            return object.keys.sorted().flatMap { lines(object[$0]!, path: path.isEmpty ? $0 : "\(path).\($0)") }
        case let array as [Any]:
            if array.allSatisfy({ !($0 is [String: Any]) && !($0 is [Any]) }) {
                return [label(path, array.map(scalar).joined(separator: ", "))]
            }
            return array.enumerated().flatMap { lines($1, path: "\(path)[\($0)]") }
        default:
            return [label(path, scalar(value))]
        }
    }

    private static func label(_ path: String, _ text: String) -> String {
        path.isEmpty ? text : "\(path): \(text)"
    }

    private static func scalar(_ value: Any) -> String {
        switch value {
        case is NSNull: return "—"
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" { return number.boolValue ? "sim" : "não" }  // a JSON boolean
            return number.stringValue
        case let text as String: return text
        default: return "\(value)"
        }
    }
}

/// A value shared with another thread.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
