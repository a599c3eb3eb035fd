import Foundation

/// The development data beside the checkout (`../shared/eval-dev`, or `GUICHE_EVAL_DEV`): two
/// federal statutes as published and FaQuAD. Tests that need it are enabled only where it is.
public enum EvalDevData {
    public static let folder: URL = {
        if let path = ProcessInfo.processInfo.environment["GUICHE_EVAL_DEV"] { return URL(fileURLWithPath: path) }
        return TestModels.root.deletingLastPathComponent().appendingPathComponent("shared/eval-dev")
    }()

    public static var legislation: URL { folder.appendingPathComponent("legislacao") }
    public static var eca: URL { legislation.appendingPathComponent("l8069-eca.htm") }
    public static var idosa: URL { legislation.appendingPathComponent("l10741-estatuto-pessoa-idosa.htm") }

    public static var available: Bool { FileManager.default.fileExists(atPath: eca.path) }

    /// `html` printed to PDF by headless Chromium with its usual header and footer (date, title,
    /// address, page counter), as a person would print it; cached by content.
    public static func printedPDF(of html: URL) throws -> URL {
        let data = try Data(contentsOf: html)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("guiche-printed-\(data.count)-\(html.deletingPathExtension().lastPathComponent).pdf")
        if FileManager.default.fileExists(atPath: cache.path) { return cache }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        process.arguments = ["--headless", "--disable-gpu", "--no-sandbox", "--print-to-pdf=\(cache.path)", html.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: cache.path) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "chromium could not print \(html.path)"])
        }
        return cache
    }
}
