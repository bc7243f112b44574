import Torus

/// A loopback TCP connection whose server end is served by an echo handler
/// (``TCPConnection/serve(with:)``, no task) and whose client end, in the benchmark's
/// task, sends 64 bytes and reads them back: one echo round trip through the reactor.
/// Made on the first round trip (the benchmark's unmeasured warm-up call).
final class EchoPair: @unchecked Sendable {
    // @unchecked Sendable: every member is touched only by round trips, which run in
    // tasks pinned to `loop`, one after the other.
    private let loop: EventLoop
    private var client: TCPConnection?
    private let message = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
    private let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)

    /// Sends back what arrives.
    private final class Echo: ConnectionHandler {
        func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
            try? connection.send(bytes)
        }
    }

    init(loop: EventLoop) {
        self.loop = loop
        message.initializeMemory(as: UInt8.self, repeating: 0x2A)
    }

    deinit {
        message.deallocate()
        reply.deallocate()
    }

    /// Sends the message and waits until all of it came back.
    func roundTrip() async throws {
        let client = try await connected()
        try await client.write(UnsafeRawBufferPointer(message))
        var received = 0
        while received < reply.count {
            let count = try await client.read(into: UnsafeMutableRawBufferPointer(rebasing: reply[received...]))
            if count == 0 { throw TorusError(.read, .closed) }
            received += count
        }
    }

    private func connected() async throws -> TCPConnection {
        if let client { return client }
        let listener = try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: 0)!, on: loop)
        let client = try await TCPConnection.connect(to: listener.localAddress, on: loop)
        guard let server = try await listener.accept() else { throw TorusError(.accept, .closed) }
        try await listener.close()
        try client.setOption(.noDelay(true))
        try server.setOption(.noDelay(true))
        try server.serve(with: Echo())
        self.client = client
        return client
    }
}
