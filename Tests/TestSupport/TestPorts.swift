import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ports for servers a test starts in another process, which cannot report the port they bound.
public enum TestPorts {
    /// A TCP port nothing listens on now: the one the kernel gives a socket bound to port 0 on
    /// `host`, closed again. A port drawn at random could be one a test server or an outgoing
    /// connection in this run already holds (the kernel's ephemeral range covers 32768–60999), and
    /// the process started on it would fail to bind while another server answered its health checks.
    public static func unused(host: String = "127.0.0.1") -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(socket >= 0, "socket(): \(errno)")
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        precondition(inet_pton(AF_INET, host, &address.sin_addr) == 1, "not an IPv4 address: \(host)")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        precondition(bound, "bind() to \(host):0: \(errno)")
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
