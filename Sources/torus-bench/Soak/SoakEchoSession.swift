import Torus
import TorusTestSupport

/// An echo soak client: each request is a message of 1 to ``maximumSize`` random bytes
/// (sizes and bytes from the client's seeded generator), and its answer must be those
/// bytes, all of them, in order.
final class SoakEchoSession: SoakSession {
    /// The largest message, in bytes.
    static let maximumSize = 2048

    private var random: SplitMix64
    private let message = UnsafeMutableRawBufferPointer.allocate(byteCount: maximumSize, alignment: 16)
    private let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: maximumSize, alignment: 16)
    private var size = 0

    /// A client whose messages come from the generator seeded with `seed`.
    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    deinit {
        message.deallocate()
        reply.deallocate()
    }

    func sendRequest(over connection: TCPConnection, timeout: Duration) async throws {
        size = 1 + Int(random.next() % UInt64(Self.maximumSize))
        let bytes = UnsafeMutableRawBufferPointer(rebasing: message[..<size])
        random.fill(bytes)
        try await connection.write(UnsafeRawBufferPointer(bytes), timeout: timeout)
    }

    func sendBurst(over connection: TCPConnection, timeout: Duration) async throws {
        var burst = [UInt8](repeating: 0, count: burstSize)
        burst.withUnsafeMutableBytes { random.fill($0) }
        try await connection.write(burst, timeout: timeout)
    }

    func receiveAnswer(over connection: TCPConnection) async throws {
        var received = 0
        while received < size {
            let into = UnsafeMutableRawBufferPointer(rebasing: reply[received..<size])
            let count = try await connection.read(into: into, timeout: operationTimeout)
            if count == 0 { throw SoakError.closedEarly(received: received, expected: size) }
            received += count
        }
        if let offset = (0..<size).first(where: { reply[$0] != message[$0] }) {
            throw SoakError.wrongByte(offset: offset)
        }
    }
}
