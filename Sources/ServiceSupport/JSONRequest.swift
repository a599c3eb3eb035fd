import Foundation
import Hummingbird

/// Decodes JSON request bodies with messages a client can act on ("texts[2]: expected a string").
public enum JSONRequest {
    /// Reads the body (up to the context's upload limit, else 413) and decodes it.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        try await decode(type, from: request.body, context: context)
    }

    /// Reads `body` (up to the context's upload limit, else 413) and decodes it.
    public static func decode<T: Decodable>(_ type: T.Type, from body: RequestBody, context: some RequestContext) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        if buffer.readableBytes == 0 {
            throw APIError.invalidRequest("request body is empty; expected a JSON object")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.invalidRequest(describe(error), param: path(of: error))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            return "\(label(context.codingPath)): expected \(name(of: type))"
        case .valueNotFound(let type, let context):
            return "\(label(context.codingPath)): expected \(name(of: type)), found null"
        case .keyNotFound(let key, let context):
            return "missing field '\(joined(context.codingPath + [key]))'"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "invalid JSON: \(context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription)"
            }
            return "\(label(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "invalid request body"
        }
    }

    static func path(of error: DecodingError) -> String? {
        let path: [any CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        @unknown default: path = []
        }
        return path.isEmpty ? nil : joined(path)
    }

    private static func label(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "request body" : "field '\(joined(path))'"
    }

    private static func joined(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int32.Type, is UInt32.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "a boolean"
        default:
            let description = String(describing: type)
            if description.hasPrefix("Array") { return "an array" }
            if description.hasPrefix("Dictionary") { return "an object" }
            return "a \(description)"
        }
    }
}
