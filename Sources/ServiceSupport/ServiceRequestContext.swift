import Hummingbird
import NIOCore

/// The request context of every Guichê service: Hummingbird's core context plus the address of
/// the client (rate limits per address, the access log).
public struct ServiceRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer of the connection; nil when there is none (a request made in a test's router).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
