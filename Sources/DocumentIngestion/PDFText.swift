import Foundation

/// PDF text per page through poppler-utils, found on `PATH`: the words and lines `pdftotext`
/// lays out (`-bbox-layout`), less every word a line is drawn through in `pdftocairo`'s rendering
/// of the same pages — a printed statute shows its revoked wording struck through, and text
/// extraction alone would keep it beside the wording in force. A conversion that runs past
/// `timeout` is stopped and the document reported unreadable.
enum PDFText {
    static let timeout: DispatchTimeInterval = .seconds(120)

    static func pages(of url: URL) throws -> [LoadedDocument.Page] {
        // A wider column gap keeps a line's trailing annotation in reading order.
        let layout = try run("pdftotext", ["-enc", "UTF-8", "-eol", "unix", "-colspacing", "3", "-bbox-layout", url.path, "-"])
        let pages = PDFLayout.pages(inBoundingBoxes: String(decoding: layout, as: UTF8.self))
        // Without a rendering (a PDF cairo cannot draw) the text is still the text: nothing struck.
        let struck = (try? run("pdftocairo", ["-svg", url.path, "-"])).map { PDFLayout.strikeBands(inSVG: $0) } ?? []
        let texts = pages.enumerated().map { index, page in
            page.text(without: index < struck.count ? struck[index] : [])
        }
        return PageFurniture.remove(from: texts.enumerated().map { LoadedDocument.Page(number: $0 + 1, text: $1) })
    }

    /// `tool` on `PATH` (poppler-utils), else the Debian location for the error message.
    static func executable(_ tool: String) -> URL {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        let found = directories.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        return URL(fileURLWithPath: found ?? "/usr/bin/\(tool)")
    }

    /// What `tool` writes to standard output; an error with its first line of standard error when
    /// it fails, or when it runs past `timeout`.
    static func run(_ tool: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = executable(tool)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw ContentError("cannot run \(tool) (install poppler-utils): \(error)")
        }
        let timedOut = Locked(false)
        let watchdog = DispatchWorkItem {
            guard process.isRunning else { return }
            timedOut.value = true
            process.terminate()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        // Both pipes drained at once, so a chatty stderr cannot stall the conversion.
        let message = Locked(Data())
        let drained = DispatchGroup()
        DispatchQueue.global().async(group: drained) { message.value = errors.fileHandleForReading.readDataToEndOfFile() }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        watchdog.cancel()
        if timedOut.value { throw ContentError("\(tool) took longer than \(timeout) and was stopped") }
        guard process.terminationStatus == 0 else {
            let reason = String(decoding: message.value, as: UTF8.self).split(separator: "\n").first.map(String.init)
                ?? "exit status \(process.terminationStatus)"
            throw ContentError("unreadable PDF: \(reason)")
        }
        return data
    }
}
