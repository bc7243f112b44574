import Torus

/// The Torus echo server under test: one pinned task per connection, each reading into
/// its own 64 KiB buffer and writing back what it read. No allocation per round trip.
final class TorusEchoServer: RunningEchoServer {
    let port: Int
    private let loop: EventLoop
    private let listener: TCPListener
    private let serving: Task<Void, any Error>

    var description: String { loop.backend.rawValue }

    /// Starts a loop on `backend` and serves 127.0.0.1:`port` on it (0: any free port).
    init(port: Int, backend: Backend) async throws {
        var configuration = EventLoop.Configuration()
        configuration.backend = backend
        let loop = try EventLoop(configuration: configuration)
        let listener = try await loop.run {
            try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: port)!)
        }
        self.loop = loop
        self.listener = listener
        self.port = listener.localAddress.port
        serving = Task(executorPreference: loop) { try await Self.serve(listener) }
    }

    func systemCalls() async -> UInt64? { await loop.statistics.systemCalls }

    func stop() async throws {
        try await listener.close()
        _ = await serving.result
        await loop.shutdown()
    }

    /// Serves until the listener is closed; connection errors end that connection only.
    private static func serve(_ listener: TCPListener) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for try await connection in listener.connections {
                group.addTask { await echo(connection) }
            }
        }
    }

    private static func echo(_ connection: TCPConnection) async {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        do {
            try connection.setOption(.noDelay(true))
            while true {
                let count = try await connection.read(into: buffer)
                if count == 0 { break }
                try await connection.write(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            }
        } catch {
            // A reset or shutdown ends this connection; the server goes on.
        }
        try? await connection.close()
    }
}
