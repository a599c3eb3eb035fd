import Foundation

/// Finds a GGUF file the way the original system did: `NAME` is either a path to a file, or a
/// fragment of a file name looked up as `*NAME*.gguf` (case-insensitive) in a models folder
/// (`models/embeddings`, `models/agents`).
public enum ModelLocator {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notFound(name: String, folder: String, available: [String])

        public var description: String {
            switch self {
            case .notFound(let name, let folder, let available):
                let list = available.isEmpty ? "the folder has no .gguf files" : "available: \(available.joined(separator: ", "))"
                return "no model matching *\(name)*.gguf in \(folder) (\(list)); run script/bootstrap or give a path"
            }
        }
    }

    /// The path of the model `name` in `folder`; with several matches, the first in name order.
    public static func resolve(_ name: String, in folder: String) throws(Failure) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory), !isDirectory.boolValue {
            return name
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.lowercased().hasSuffix(".gguf") }
            .sorted()
        let needle = name.lowercased()
        guard let match = files.first(where: { $0.lowercased().contains(needle) }) else {
            throw .notFound(name: name, folder: folder, available: files)
        }
        return URL(fileURLWithPath: folder).appendingPathComponent(match).path
    }
}
