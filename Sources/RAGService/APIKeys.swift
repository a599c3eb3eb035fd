import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RAGCore
import ServiceSupport

/// Who may call the rag service: API keys, each with a scope, kept only as SHA-256 digests
/// (`API_KEYS`, `API_KEYS_FILE`; `guiche key` makes one). `consulta` asks questions; `admin` also
/// syncs the index, lists documents and reads the metrics. Without keys the service is open.
public struct APIKeys: Sendable {
    public enum Scope: String, Sendable, CaseIterable {
        case consulta, admin
    }

    private let scopes: [String: Scope]  // SHA-256 hex digest → scope

    /// No keys: every route is open.
    public static let none = APIKeys(scopes: [:])

    private init(scopes: [String: Scope]) {
        self.scopes = scopes
    }

    public var isEmpty: Bool { scopes.isEmpty }
    public var count: Int { scopes.count }

    /// Reads entries `scope:sha256-hex-digest`, separated by commas, spaces or new lines; `#`
    /// starts a comment to the end of its line. An entry that is not one stops with its text.
    public static func parse(_ text: String) throws -> APIKeys {
        var scopes: [String: Scope] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            for entry in content.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) {
                let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2, let scope = Scope(rawValue: parts[0]),
                      parts[1].count == 64, parts[1].allSatisfy(\.isHexDigit) else {
                    throw InvalidEntry(entry: String(entry))
                }
                scopes[parts[1].lowercased()] = scope
            }
        }
        return APIKeys(scopes: scopes)
    }

    /// An entry of `API_KEYS` that is not `scope:sha256-hex-digest`.
    public struct InvalidEntry: Error, CustomStringConvertible {
        public var entry: String
        public var description: String {
            "entries 'consulta:<sha256 hex>' or 'admin:<sha256 hex>' (make one with `guiche key`); '\(entry.prefix(80))' is not one"
        }
    }

    /// These keys and `other`'s.
    public func merging(_ other: APIKeys) -> APIKeys {
        APIKeys(scopes: scopes.merging(other.scopes) { $1 })
    }

    /// The digest stored for `key`.
    public static func digest(_ key: String) -> String {
        ContentHash.sha256(Data(key.utf8))
    }

    /// A new random key (32 bytes, URL-safe base64) and its entry for `scope`.
    public static func generate(scope: Scope) -> (key: String, entry: String) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let key = "gk_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return (key, "\(scope.rawValue):\(digest(key))")
    }

    /// The scope of `key`, nil when it is no key of this service.
    public func scope(of key: String) -> Scope? {
        scopes[Self.digest(key)]
    }
}

/// Asks every request of a route that needs a scope for a key (`Authorization: Bearer <key>` or
/// `X-API-Key: <key>`): none or an unknown one is 401, a `consulta` key on an `admin` route 403.
/// Probes and the OpenAPI document stay open. Without keys, the question routes are open and the
/// admin routes answer loopback clients only, unless `adminOpenWithoutKeys`.
struct APIKeyMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    let keys: APIKeys
    let adminOpenWithoutKeys: Bool

    /// The scope a request needs; nil for open ones (the probes, the API document, the chat and
    /// admin pages and their files: the pages ask for the key their calls need).
    static func scope(for path: String, method: HTTPRequest.Method = .get) -> APIKeys.Scope? {
        switch path {
        case "/health", "/health/live", "/health/ready", "/openapi.yaml", "/", "/admin": nil
        case _ where path.hasPrefix("/assets/"): nil
        case "/ingest", "/documents", "/metrics": .admin
        case _ where (path == "/documentos" || path.hasPrefix("/documentos/")) && method != .get: .admin
        case "/feedback" where method == .get: .admin
        default: .consulta
        }
    }

    /// The key a request carries, checked or not.
    static func presentedKey(_ request: Request) -> String? {
        let bearer = request.headers[.authorization].flatMap { value -> String? in
            let parts = value.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
        }
        return bearer ?? request.headers[HTTPField.Name("X-API-Key")!]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let needed = Self.scope(for: request.uri.path, method: request.method) else { return try await next(request, context) }
        guard !keys.isEmpty else {
            if needed == .admin, !adminOpenWithoutKeys, !Self.isLoopback(context.remoteAddress) {
                throw APIError(
                    status: .unauthorized, type: "authentication_error",
                    message: "admin routes answer other machines only with an admin API key: set API_KEYS (make one with `guiche key --scope admin`), or ADMIN_OPEN=true on a trusted network",
                    headers: [.wwwAuthenticate: "Bearer"])
            }
            return try await next(request, context)
        }
        guard let key = Self.presentedKey(request) else {
            throw APIError(
                status: .unauthorized, type: "authentication_error",
                message: "this route needs an API key: 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                headers: [.wwwAuthenticate: "Bearer"])
        }
        guard let scope = keys.scope(of: key) else {
            throw APIError(status: .unauthorized, type: "authentication_error", message: "unknown API key", headers: [.wwwAuthenticate: "Bearer"])
        }
        if needed == .admin, scope != .admin {
            throw APIError(status: .forbidden, type: "permission_error", message: "this route needs an admin key")
        }
        return try await next(request, context)
    }

    /// Whether `address` is this machine (127.0.0.0/8, ::1, IPv4-mapped loopback); a request made
    /// in-process (no address) counts as local.
    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let address else { return true }
        guard let ip = address.ipAddress else { return address.protocol == .unix }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }
}
