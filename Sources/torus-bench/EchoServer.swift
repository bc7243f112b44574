import Torus

/// The Torus echo server under test: one pinned task per connection, each reading into
/// its own 64 KiB buffer and writing back what it read. No allocation per round trip.
enum EchoServer {
    /// Serves until the listener is closed; connection errors end that connection only.
    static func serve(_ listener: TCPListener) async throws {
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
