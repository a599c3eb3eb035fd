import Foundation
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The replicas behind one model-service URL.
///
/// Behind one host, or behind Swarm's virtual IP (`endpoint_mode: vip`), a service name has one
/// address and this changes nothing. With DNS round robin (`endpoint_mode: dnsrr`) the name
/// resolves to one address per replica: calls go to them in turn, the name is resolved again
/// every few seconds and after any failure (replicas come and go), and a call that failed on one
/// replica is retried on another (see `ServiceConnection`).
///
/// Only `http` URLs are spread over addresses; an `https` URL keeps its host name, which its
/// certificate names, and relies on the balancer behind it.
public final class ServiceReplicas: Sendable {
    /// Resolves a host name to numeric addresses.
    public typealias Resolver = @Sendable (_ host: String) async -> [String]

    /// The configured URL (without a trailing slash), as named in messages.
    public let url: String
    private let scheme: String
    private let host: String
    private let port: Int
    private let path: String
    private let resolver: Resolver
    private let refreshInterval: Duration
    private let state = Mutex(State())

    private struct State {
        var addresses: [String] = []
        var resolvedAt: ContinuousClock.Instant?
        var stale = true
        var cursor = 0
    }

    /// - Parameters:
    ///   - url: the service's base URL, e.g. `http://generator:8002`.
    ///   - refreshInterval: how long a resolution is used before the name is resolved again.
    ///   - resolver: the name lookup; the system's resolver (`getaddrinfo`) by default.
    public init(url: String, refreshInterval: Duration = .seconds(5), resolver: Resolver? = nil) throws {
        let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { throw InvalidServiceURL(url: url) }
        self.url = trimmed
        self.scheme = scheme
        self.host = host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        self.path = components.path
        self.refreshInterval = refreshInterval
        self.resolver = resolver ?? { host in await ServiceReplicas.systemLookUp(host) }
    }

    /// Base URLs for one call: every known replica once, starting with the next one in turn.
    public func rotation() async -> [String] {
        if scheme == "http" {
            let due = state.withLock { state in
                state.stale || state.resolvedAt.map { ContinuousClock.now - $0 > refreshInterval } ?? true
            }
            if due {
                let addresses = await resolver(host).sorted()
                state.withLock { state in
                    // A failed lookup keeps the last known replicas.
                    if !addresses.isEmpty { state.addresses = addresses }
                    state.resolvedAt = .now
                    state.stale = false
                }
            }
        }
        return state.withLock { state in
            let bases = state.addresses.isEmpty ? [url] : state.addresses.map(baseURL(address:))
            let start = state.cursor % bases.count
            state.cursor &+= 1
            return Array(bases[start...] + bases[..<start])
        }
    }

    /// Notes that a call failed: the name is resolved again before the next call.
    public func reportFailure() {
        state.withLock { $0.stale = true }
    }

    private func baseURL(address: String) -> String {
        let hostPart = address.contains(":") ? "[\(address)]" : address
        return "\(scheme)://\(hostPart):\(port)\(path)"
    }

    /// The host's numeric addresses from the system resolver, off the cooperative pool; IPv4
    /// addresses when there are any (services bind 0.0.0.0), else IPv6; none when the name does not
    /// resolve.
    public static func systemLookUp(_ host: String) async -> [String] {
        (try? await NIOThreadPool.singleton.runIfActive { lookUp(host) }) ?? []
    }

    static func lookUp(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var v4: [String] = [], v6: [String] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node {
            var buffer = [CChar](repeating: 0, count: 1025)
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let address = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if entry.pointee.ai_family == AF_INET {
                    if !v4.contains(address) { v4.append(address) }
                } else if !v6.contains(address) {
                    v6.append(address)
                }
            }
            node = entry.pointee.ai_next
        }
        return v4.isEmpty ? v6 : v4
    }
}

/// A model-service URL that is not an `http(s)://host[:port]` URL.
public struct InvalidServiceURL: Error, CustomStringConvertible {
    public var url: String
    public var description: String { "'\(url)' is not an http:// or https:// URL with a host" }
}
