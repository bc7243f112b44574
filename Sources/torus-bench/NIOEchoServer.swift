import NIOCore
import NIOPosix

/// The SwiftNIO echo server under test, written as NIO's own examples would: NIOPosix on
/// one event loop thread (epoll), a pipeline of one handler that writes back every buffer
/// it reads and flushes when the read burst ends. The reference for what a mature
/// selector runtime costs, next to Torus and the C servers.
final class NIOEchoServer: RunningEchoServer {
    let port: Int
    let description = "swift-nio"
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// Serves 127.0.0.1:`port` (0: any free port) on a one-thread event loop group.
    init(port: Int) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoHandler())
                }
            }
        do {
            channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        self.group = group
        self.port = channel.localAddress?.port ?? 0
    }

    func systemCalls() async -> UInt64? { nil }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }
}

/// Writes back what it reads; one flush per read burst (`channelReadComplete`), so a
/// burst of reads costs one `writev`.
private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
