import Glibc
import Testing

@testable import Torus

/// 1,000 connections through one loop, each echoing 1 MiB of its own pseudo-random
/// bytes, compared byte for byte.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct ManyConnectionsTests {
    static let connections = 1000
    static let bytesPerConnection = 1 << 20
    static let bufferSize = 64 << 10

    /// Where in a connection's stream the echo first differed from what was sent.
    struct EchoMismatch: Error, CustomStringConvertible {
        var connection: Int
        var position: Int
        var detail: String
        var description: String { "connection \(connection): \(detail) at byte \(position)" }
    }

    @Test(arguments: TestBackend.allCases)
    func thousandConnectionsEchoOneMebibyteEachThroughOneLoop(_ backend: TestBackend) async throws {
        let limit = raiseOpenFileLimit()
        try #require(
            limit >= rlim_t(2 * Self.connections + 256), "RLIMIT_NOFILE hard limit \(limit) is too low")
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            let address = listener.localAddress
            let completed = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { try await Self.serve(listener) }
                for index in 0..<Self.connections {
                    group.addTask { try await Self.runClient(index, to: address, loop: loop) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(completed == Self.connections + 1)
            let statistics = await loop.statistics
            #expect(statistics.operationSlotsInUse == 0)
            // 2 GiB crossed the loop each way; reads and writes are at most 64 KiB each, and
            // each is a CQE (io_uring) or at least one non-blocking call (epoll).
            let operations = UInt64(4 * Self.connections * Self.bytesPerConnection / Self.bufferSize)
            #expect((backend == .ioUring ? statistics.completionsReaped : statistics.systemCalls) >= operations)
        }
    }

    /// Accepts `connections` clients and echoes each until it shuts down its side.
    private static func serve(_ listener: TCPListener) async throws -> Bool {
        do {
            try await withThrowingTaskGroup(of: Void.self) { echoes in
                var accepted = 0
                for try await connection in listener.connections {
                    echoes.addTask { try await echo(connection) }
                    accepted += 1
                    if accepted == connections { break }
                }
                try await echoes.waitForAll()
            }
        } catch {
            try? await listener.close()
            throw error
        }
        try await listener.close()
        return true
    }

    private static func echo(_ connection: TCPConnection) async throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        do {
            // Bounded: the client sends exactly 1 MiB, then end of stream.
            for _ in 0...bytesPerConnection {
                let count = try await connection.read(into: buffer)
                if count == 0 { break }
                try await connection.write(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    /// Connects, then writes its 1 MiB while reading the echo back and comparing it.
    private static func runClient(_ index: Int, to address: SocketAddress, loop: EventLoop) async throws -> Bool {
        guard loop.isCurrent else {
            throw EchoMismatch(connection: index, position: 0, detail: "client off the loop")
        }
        let seed = UInt64(index) &* 0xD1B5_4A32_D192_ED03 ^ 0x1000_C0DE
        let connection = try await TCPConnection.connect(to: address)
        do {
            try await withThrowingTaskGroup(of: Void.self) { halves in
                halves.addTask { try await sendStream(seed: seed, on: connection) }
                halves.addTask { try await verifyEcho(seed: seed, connection: index, on: connection) }
                try await halves.waitForAll()
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return true
    }

    private static func sendStream(seed: UInt64, on connection: TCPConnection) async throws {
        var generator = SplitMix64(seed: seed)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var sent = 0
        while sent < bytesPerConnection {
            let count = min(bufferSize, bytesPerConnection - sent)
            generator.fill(UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]))
            try await connection.write(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            sent += count
        }
        try connection.shutdown(.write)
    }

    /// Reads the echo and compares it with the same stream regenerated 64 KiB at a time.
    private static func verifyEcho(seed: UInt64, connection index: Int, on connection: TCPConnection) async throws {
        var generator = SplitMix64(seed: seed)
        let received = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        let expected = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer {
            received.deallocate()
            expected.deallocate()
        }
        var total = 0
        var generated = 0
        var expectedOffset = 0
        var expectedCount = 0
        // Bounded: each read returns at least one byte until end of stream.
        for _ in 0...bytesPerConnection {
            let count = try await connection.read(into: received, timeout: .seconds(30).scaled)
            if count == 0 { break }
            guard total + count <= bytesPerConnection else {
                throw EchoMismatch(
                    connection: index, position: total, detail: "more bytes echoed than sent")
            }
            var checked = 0
            while checked < count {
                if expectedOffset == expectedCount {
                    expectedCount = min(bufferSize, bytesPerConnection - generated)
                    generator.fill(UnsafeMutableRawBufferPointer(rebasing: expected[..<expectedCount]))
                    generated += expectedCount
                    expectedOffset = 0
                }
                let length = min(count - checked, expectedCount - expectedOffset)
                guard
                    memcmp(received.baseAddress! + checked, expected.baseAddress! + expectedOffset, length)
                        == 0
                else {
                    throw EchoMismatch(
                        connection: index, position: total + checked, detail: "echoed bytes differ")
                }
                checked += length
                expectedOffset += length
            }
            total += count
        }
        guard total == bytesPerConnection else {
            throw EchoMismatch(
                connection: index, position: total, detail: "end of stream after \(total) bytes")
        }
        guard try await connection.read(into: received, timeout: .seconds(30).scaled) == 0 else {
            throw EchoMismatch(
                connection: index, position: total, detail: "no end of stream after the echo")
        }
    }
}
