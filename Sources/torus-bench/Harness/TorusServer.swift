import Torus

/// A Torus server under test: one loop on the chosen reactor, a listener on 127.0.0.1,
/// and every accepted connection (with TCP_NODELAY) served the scenario's way
/// (``ConnectionServing``: ``EchoHandler``, ``TorusEcho``, ``TorusPlaintext``), or the
/// listener handed whole to a server that accepts for itself (TorusHTTP's `HTTPServer`,
/// which leaves TCP_NODELAY off).
final class TorusServer: RunningServer {
    let port: Int
    private let loop: EventLoop
    private let listener: TCPListener
    private let serving: Task<Void, any Error>

    var description: String { loop.backend.rawValue }

    /// How each accepted connection is served.
    enum ConnectionServing: Sendable {
        /// In a pinned task of its own running this closure, which closes it.
        case task(@Sendable (TCPConnection) async -> Void)
        /// Without a task, by the one handler this closure makes on the loop thread.
        case handler(@Sendable () -> any ConnectionHandler)
        /// By this closure, run in a pinned task with the listener: it accepts and serves
        /// until the listener is closed.
        case listener(@Sendable (TCPListener) async throws -> Void)
    }

    /// Starts a loop on `backend` and serves 127.0.0.1:`port` on it (0: any free port),
    /// each accepted connection served as `serving` says.
    init(port: Int, backend: Backend, serving: ConnectionServing) async throws {
        var configuration = EventLoop.Configuration()
        configuration.backend = backend
        let loop = try EventLoop(configuration: configuration)
        let listener = try await loop.run {
            try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: port)!)
        }
        self.loop = loop
        self.listener = listener
        self.port = listener.localAddress.port
        self.serving = Task(executorPreference: loop) { try await Self.serve(listener, serving) }
    }

    func systemCalls() async -> UInt64? { await loop.statistics.systemCalls }

    /// Stops accepting, then ends every connection with clients still connected: a
    /// connection's task is cancelled (its read or write throws, and it closes the
    /// connection), and a handler hears `.loopShutDown` as the loop shuts down.
    func stop() async throws {
        try await listener.close()
        serving.cancel()
        _ = await serving.result
        await loop.shutdown()
    }

    /// Serves until the listener is closed (then, with a task per connection, until the
    /// connections end or the serving task is cancelled); connection errors end that
    /// connection only.
    private static func serve(_ listener: TCPListener, _ serving: ConnectionServing) async throws {
        switch serving {
        case .listener(let serve):
            try await serve(listener)
        case .handler(let make):
            let handler = make()
            for try await connection in listener.connections {
                do {
                    try connection.setOption(.noDelay(true))
                    try connection.serve(with: handler)
                } catch {
                    try? await connection.close()
                }
            }
        case .task(let body):
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in listener.connections {
                    // The connection's task on the loop's `run`: one cancellation handler
                    // for all of its operations instead of one per operation.
                    group.addTask {
                        _ = try? await connection.loop.run {
                            try? connection.setOption(.noDelay(true))
                            await body(connection)
                        }
                    }
                }
            }
        }
    }
}
