import Torus

/// A Torus server under test: one loop on the chosen reactor, a listener on 127.0.0.1,
/// and one pinned task per connection running the scenario's `handler` (``TorusEcho``,
/// ``TorusPlaintext``).
final class TorusServer: RunningEchoServer {
    let port: Int
    private let loop: EventLoop
    private let listener: TCPListener
    private let serving: Task<Void, any Error>

    var description: String { loop.backend.rawValue }

    /// Starts a loop on `backend` and serves 127.0.0.1:`port` on it (0: any free port),
    /// each accepted connection handed to `handler`, which closes it.
    init(port: Int, backend: Backend, handler: @escaping @Sendable (TCPConnection) async -> Void) async throws {
        var configuration = EventLoop.Configuration()
        configuration.backend = backend
        let loop = try EventLoop(configuration: configuration)
        let listener = try await loop.run {
            try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: port)!)
        }
        self.loop = loop
        self.listener = listener
        self.port = listener.localAddress.port
        serving = Task(executorPreference: loop) { try await Self.serve(listener, handler) }
    }

    func systemCalls() async -> UInt64? { await loop.statistics.systemCalls }

    func stop() async throws {
        try await listener.close()
        _ = await serving.result
        await loop.shutdown()
    }

    /// Serves until the listener is closed; connection errors end that connection only.
    private static func serve(
        _ listener: TCPListener, _ handler: @escaping @Sendable (TCPConnection) async -> Void
    ) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for try await connection in listener.connections {
                // The connection's task on the loop's `run`: one cancellation handler for
                // all of its operations instead of one per operation.
                group.addTask { _ = try? await connection.loop.run { await handler(connection) } }
            }
        }
    }
}
