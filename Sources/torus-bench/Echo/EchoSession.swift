import Torus

/// One echo client: sends `size` bytes and waits for all of them to come back
/// (ping-pong). Its two buffers are allocated once.
final class EchoSession: LoadSession {
    private let message: UnsafeMutableRawBufferPointer
    private let reply: UnsafeMutableRawBufferPointer

    /// A client sending `size`-byte messages.
    init(size: Int) {
        message = .allocate(byteCount: size, alignment: 16)
        reply = .allocate(byteCount: max(size, 65536), alignment: 16)
        for index in 0..<size { message[index] = UInt8(truncatingIfNeeded: index &* 31) }
    }

    deinit {
        message.deallocate()
        reply.deallocate()
    }

    func exchange(over client: TCPConnection) async throws {
        try await client.write(UnsafeRawBufferPointer(message))
        var received = 0
        while received < message.count {
            let count = try await client.read(into: UnsafeMutableRawBufferPointer(rebasing: reply[received...]))
            if count == 0 { throw LoadError.closedEarly }
            received += count
        }
    }
}
