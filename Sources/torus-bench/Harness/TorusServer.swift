import Torus

/// A Torus server under test: an ``EventLoopGroup`` of one or more loops on the chosen
/// reactor, a ``ShardedListener`` on 127.0.0.1 spreading connections over them, and
/// every accepted connection (with TCP_NODELAY) served the scenario's way
/// (``ConnectionServing``: ``EchoHandler``, ``TorusEcho``); or each loop's listener
/// handed whole to a server that accepts for itself (TorusHTTP's `HTTPServer`, which
/// leaves TCP_NODELAY off).
final class TorusServer: RunningServer {
    let port: Int
    let description: String
    private let group: EventLoopGroup
    private let close: @Sendable () async -> Void
    private let serving: Task<Void, any Error>

    /// How each accepted connection is served.
    enum ConnectionServing: Sendable {
        /// In a pinned task of its own running this closure, which closes it.
        case task(@Sendable (TCPConnection) async -> Void)
        /// Without a task, by a handler this closure makes on the connection's loop.
        case handler(@Sendable () -> any ConnectionHandler)
        /// By this closure, run in a task pinned to each loop with that loop's listener
        /// (SO_REUSEPORT when there are several): it accepts and serves until the
        /// listener is closed.
        case listener(@Sendable (TCPListener) async throws -> Void)
    }

    /// Starts `loops` on `backend` and serves 127.0.0.1:`port` on them (0: any free
    /// port), each accepted connection served as `serving` says.
    init(port: Int, backend: Backend, loops: ServerLoops, serving: ConnectionServing) async throws {
        var configuration = EventLoopGroup.Configuration()
        configuration.loopCount = loops.count
        configuration.loop.backend = backend
        configuration.pinsLoopsToCPUs = loops.pinned
        let group = try EventLoopGroup(configuration: configuration)
        let address = SocketAddress(ip: "127.0.0.1", port: port)!
        do {
            switch serving {
            case .listener(let serve):
                // One SO_REUSEPORT listener per loop (the kernel spreads connections), each
                // served on its loop; the first one's port is everyone's.
                var reusing = TCPListener.Options()
                reusing.reusePort = loops.count > 1
                let options = reusing
                var bound: [TCPListener] = []
                for loop in group.loops {
                    let address = SocketAddress(ip: "127.0.0.1", port: bound.first?.localAddress.port ?? port)!
                    bound.append(try await loop.run { try TCPListener.bind(to: address, options: options) })
                }
                let listeners = bound
                self.port = listeners[0].localAddress.port
                close = { for listener in listeners { try? await listener.close() } }
                self.serving = Task {
                    try await withThrowingDiscardingTaskGroup { tasks in
                        for listener in listeners {
                            tasks.addTask(executorPreference: listener.loop) { try await serve(listener) }
                        }
                    }
                }
            case .handler, .task:
                let listener = try await ShardedListener.bind(to: address, sharding: loops.sharding, on: group)
                self.port = listener.localAddress.port
                close = { await listener.close() }
                self.serving = Task { try await Self.serve(listener, serving) }
            }
        } catch {
            await group.shutdownGracefully(gracePeriod: .zero)
            throw error
        }
        self.group = group
        description =
            group.loops[0].backend.rawValue
            + loops.description(sharding: loops.count > 1 ? loops.sharding : nil)
    }

    /// Serves what `listener` accepts, each connection with TCP_NODELAY, in a task or
    /// by a handler as `serving` says, until the listener is closed.
    private static func serve(_ listener: ShardedListener, _ serving: ConnectionServing) async throws {
        switch serving {
        case .handler(let make):
            try await listener.serve { connection in
                try? connection.setOption(.noDelay(true))
                return make()
            }
        case .task(let body):
            try await listener.serve { connection in
                try? connection.setOption(.noDelay(true))
                await body(connection)
            }
        case .listener:
            preconditionFailure("a listener-serving server accepts for itself")
        }
    }

    /// The system calls of every loop of the group so far.
    func systemCalls() async -> UInt64? {
        var total: UInt64 = 0
        for loop in group.loops { total += await loop.statistics.systemCalls }
        return total
    }

    /// Stops accepting, then ends every connection with clients still connected: the
    /// group shuts down at once (no grace period), so a connection's task sees its read
    /// or write fail (and closes the connection), and a handler hears `.loopShutDown`.
    func stop() async throws {
        await close()
        serving.cancel()
        _ = await serving.result
        await group.shutdownGracefully(gracePeriod: .zero)
    }
}
