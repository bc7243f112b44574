import Torus

/// The Torus echo connection: receives into the loop's pooled buffers
/// (``TCPConnection/receive(timeout:_:)``) and writes back what it received, so an idle
/// connection holds no buffer. No allocation per round trip.
enum TorusEcho {
    /// Echoes until the peer closes or the connection fails, then closes it.
    static func serve(_ connection: TCPConnection) async {
        do {
            try connection.setOption(.noDelay(true))
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
