import Torus

/// The Torus echo servers: by default an ``EchoHandler`` (TorusTestSupport) serves every
/// connection without a task (``TCPConnection/serve(with:)``), as SwiftNIO's
/// ``NIOEchoHandler`` does; `serve echo --connection-api task` runs ``serve(_:)`` in a
/// task per connection instead. Neither allocates per round trip, and an idle connection
/// holds no buffer.
enum TorusEcho {
    /// Echoes in the connection's own task, receiving into the loop's pooled buffers
    /// (``TCPConnection/receive(timeout:_:)``), until the peer closes or the connection
    /// fails, then closes it.
    static func serve(_ connection: TCPConnection) async {
        do {
            var open = true
            while open {
                open = try await connection.receive { bytes in
                    if !bytes.isEmpty { try await connection.write(bytes) }
                    return !bytes.isEmpty
                }
            }
        } catch {
            // A reset or shutdown ends this connection; the server goes on.
        }
        try? await connection.close()
    }
}
