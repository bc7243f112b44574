import Torus

/// The Torus echo connection: reads into its own 64 KiB buffer and writes back what it
/// read. No allocation per round trip.
enum TorusEcho {
    /// Echoes until the peer closes or the connection fails, then closes it.
    static func serve(_ connection: TCPConnection) async {
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
