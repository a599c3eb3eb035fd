import Foundation

/// A document's text as a loader read it: one entry per page (PDF) or a single page.
public struct LoadedDocument: Sendable, Equatable {
    public struct Page: Sendable, Equatable {
        /// 1-based page number for paginated formats (PDF), nil otherwise.
        public var number: Int?
        public var text: String

        public init(number: Int?, text: String) {
            self.number = number
            self.text = text
        }
    }

    /// Path relative to the data folder, with `/` separators: the document's identity.
    public var path: String
    public var format: DocumentFormat
    public var pages: [Page]

    public init(path: String, format: DocumentFormat, pages: [Page]) {
        self.path = path
        self.format = format
        self.pages = pages
    }

    /// The document's title: the statute it is ("Lei nº 8.069/1990 (Estatuto da Criança e do
    /// Adolescente)") when its opening names one; else its first Markdown heading; for prose
    /// formats a short first line; else its file name.
    public var title: String {
        // A title is at the start: the first lines of the first pages are enough.
        let lines = pages.prefix(3).flatMap { $0.text.prefix(8000).split(separator: "\n", omittingEmptySubsequences: true) }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.prefix(60)
        if let statute = StatuteTitle.find(in: Array(lines)) { return statute }
        if let heading = lines.first(where: { $0.hasPrefix("# ") }) {
            return String(heading.dropFirst(2)).trimmingCharacters(in: .whitespaces)
        }
        if [.text, .pdf, .docx, .html].contains(format), let first = lines.first, first.count <= 100 {
            return first
        }
        return (path as NSString).lastPathComponent
    }
}

/// The formats Guichê ingests, by file extension.
public enum DocumentFormat: String, Sendable, CaseIterable, Codable {
    case text = "txt", markdown = "md", csv, json, html, pdf, docx

    /// A spreadsheet: each row a record of its own.
    public var isSpreadsheet: Bool { self == .csv }

    /// The format of the file at `path` (a document's identity), by its extension.
    public init?(path: String) {
        self.init(fileExtension: (path as NSString).pathExtension)
    }

    public init?(fileExtension: String) {
        switch fileExtension.lowercased() {
        case "txt", "text": self = .text
        case "md", "markdown": self = .markdown
        case "csv": self = .csv
        case "json": self = .json
        case "html", "htm": self = .html
        case "pdf": self = .pdf
        case "docx": self = .docx
        default: return nil
        }
    }
}

/// Why a file could not be read; the ingest report carries it with the path.
public struct LoadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
