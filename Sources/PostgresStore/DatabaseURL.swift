import Foundation
import PostgresNIO

/// A PostgreSQL connection URL (`DATABASE_URL`): `postgres://user:password@host:port/database`,
/// or a Unix socket folder as libpq writes it, `postgresql://user@/database?host=/run/postgresql`;
/// `sslmode=require` asks for TLS (default: none, for a database on the deployment's network).
public struct DatabaseURL: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var database: String
    public var host: String?
    public var port: Int
    /// A folder holding the server's socket (`?host=/path`): used instead of `host`.
    public var socketDirectory: String?
    public var requireTLS: Bool

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws(Invalid) {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw Invalid(description: "DATABASE_URL must be postgres://user:password@host:port/database, got '\(Self.redacted(text))'")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        user = components.percentEncodedUser?.removingPercentEncoding ?? "postgres"
        password = components.percentEncodedPassword?.removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 }
        database = String(components.path.drop { $0 == "/" })
        if database.isEmpty { database = user }
        host = components.host.flatMap { $0.isEmpty ? nil : $0 }
        port = components.port ?? 5432
        socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        switch query["sslmode"] ?? "disable" {
        case "disable", "allow", "prefer": requireTLS = false
        case "require", "verify-ca", "verify-full": requireTLS = true
        case let other: throw Invalid(description: "DATABASE_URL must be a URL whose sslmode is disable or require, got '\(other)'")
        }
        guard host != nil || socketDirectory != nil else {
            throw Invalid(description: "DATABASE_URL must name a host (or ?host=/socket/folder), got '\(Self.redacted(text))'")
        }
    }

    /// The connection pool's configuration for this URL.
    public func clientConfiguration() -> PostgresClient.Configuration {
        if let socketDirectory {
            return .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        return .init(
            host: host!, port: port, username: user, password: password, database: database,
            tls: requireTLS ? .require(.makeClientConfiguration()) : .disable)
    }

    /// The URL with its password hidden, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "<unparsable>"
    }
}
