import NIOCore
import NIOPosix

/// A SwiftNIO server under test, set up as NIO's own examples would: NIOPosix on a
/// `MultiThreadedEventLoopGroup` (epoll; one thread unless told more, the accepted
/// channels then spread over the threads round-robin), each child channel's pipeline built by the scenario's
/// `initializer` (``NIOEchoHandler``, ``NIOPlaintextHandler``). The reference for what a
/// mature selector runtime costs, next to Torus and the C servers.
final class NIOServer: RunningServer {
    let port: Int
    let description: String
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// Serves 127.0.0.1:`port` (0: any free port) on an event loop group of `threads`;
    /// `initializer` adds the handlers to each accepted channel, on its event loop.
    init(port: Int, threads: Int = 1, initializer: @escaping @Sendable (any Channel) throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try initializer(channel) }
            }
        do {
            channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        self.group = group
        description = "swift-nio" + ServerLoops(count: threads).description(sharding: nil)
        self.port = channel.localAddress?.port ?? 0
    }

    func systemCalls() async -> UInt64? { nil }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }
}
