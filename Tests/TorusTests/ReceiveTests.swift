import Glibc
import Testing

@testable import Torus

/// `TCPConnection.receive { bytes in ... }`: bytes lent from the loop's receive pool,
/// exactly and in order, whatever the message size against the pool's buffer size; end of
/// stream as empty bytes; cancellation and errors give the buffer back; a dry pool falls
/// back to temporary buffers without losing a byte.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct ReceiveTests {
    /// A pool of small buffers, so messages span many of them.
    static func smallPool(_ configuration: inout EventLoop.Configuration) {
        configuration.receiveBufferSize = 1024
        configuration.receiveBufferCount = 8
    }

    @Test(arguments: TestBackend.allCases, [1, 1000, 1024, 1025, 65_536, 300_001])
    func receivedBytesEchoExactly(_ backend: TestBackend, size: Int) async throws {
        try await withTestLoop(backend, configure: Self.smallPool) { loop in
            let pair = try await ConnectedPair.make()
            let echo = Task(executorPreference: loop) {
                var received = 0
                var open = true
                while open {
                    open = try await pair.server.receive { bytes in
                        #expect(bytes.count <= 1024)
                        received += bytes.count
                        if !bytes.isEmpty { try await pair.server.write(bytes) }
                        return !bytes.isEmpty
                    }
                }
                return received
            }
            let message = randomBytes(size, seed: UInt64(size))
            let writer = Task(executorPreference: loop) {
                try await pair.client.write(message)
                try pair.client.shutdown(.write)
            }
            #expect(bytesEqual(try await pair.client.read(exactly: size), message))
            try await writer.value
            #expect(try await echo.value == size)
            #expect(await loop.statistics.receiveBuffersLent == 0)
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func endOfStreamIsEmptyBytesAndStaysSo(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            try await pair.server.write([1, 2, 3])
            try await pair.server.close()
            var received: [UInt8] = []
            while received.count < 3 {
                received += try await pair.client.receive(timeout: .seconds(10)) { Array($0) }
            }
            #expect(received == [1, 2, 3])
            #expect(try await pair.client.receive { $0.count } == 0)
            #expect(try await pair.client.receive { $0.count } == 0)
            try await pair.client.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func receivingOffTheLoopHopsThere(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            try await pair.server.write([4, 5, 6])
            let received = try await offLoop {
                var received: [UInt8] = []
                while received.count < 3 {
                    received += try await pair.client.receive(timeout: .seconds(10)) { bytes in
                        #expect(loop.isCurrent)
                        return Array(bytes)
                    }
                }
                return received
            }
            #expect(received == [4, 5, 6])
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingABlockedReceiveLosesNoBytes(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let receiver = Task(executorPreference: loop) { try await pair.client.receive { Array($0) } }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 1 })
            receiver.cancel()
            await #expect(throws: CancellationError.self) { try await receiver.value }
            let statistics = await loop.statistics
            #expect(statistics.operationSlotsInUse == 0)
            #expect(statistics.receiveBuffersLent == 0)
            // The connection still works, and no byte went to the cancelled receive.
            try await pair.server.write([1, 2, 3])
            var received: [UInt8] = []
            while received.count < 3 {
                received += try await pair.client.receive(timeout: .seconds(10)) { Array($0) }
            }
            #expect(received == [1, 2, 3])
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func closingUnderABlockedReceiveThrowsClosed(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let receiver = Task(executorPreference: loop) { try await pair.client.receive { $0.count } }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 1 })
            try await pair.client.close()
            await expectTorusError(.read, .closed) { try await receiver.value }
            await expectTorusError(.read, .closed) { try await pair.client.receive { $0.count } }
            try await pair.server.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func anErrorThrownByTheBodyGivesTheBufferBack(_ backend: TestBackend) async throws {
        struct BodyFailed: Error {}
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            try await pair.server.write([9])
            await #expect(throws: BodyFailed.self) {
                try await pair.client.receive(timeout: .seconds(10)) { _ in throw BodyFailed() }
            }
            #expect(await loop.statistics.receiveBuffersLent == 0)
            try await pair.close()
        }
    }

    /// Every pooled buffer is held by a body that waits: the other connections, with
    /// bytes pending, receive into temporary buffers, and every byte still arrives once.
    @Test(arguments: TestBackend.allCases)
    func aDryPoolFallsBackToSpareBuffersAndLosesNothing(_ backend: TestBackend) async throws {
        let connections = 12
        let size = 5000
        try await withTestLoop(backend, configure: Self.smallPool) { loop in
            var pairs: [ConnectedPair] = []
            for _ in 0..<connections { pairs.append(try await ConnectedPair.make()) }
            let gate = try Event()
            let receivers = pairs.enumerated().map { index, pair in
                Task(executorPreference: loop) {
                    var received: [UInt8] = []
                    while received.count < size {
                        let chunk = try await pair.server.receive(timeout: .seconds(10)) { bytes in
                            // Hold the buffer until every connection has started receiving.
                            try await gate.wait()
                            return Array(bytes)
                        }
                        if chunk.isEmpty { break }
                        received += chunk
                    }
                    return (index, received)
                }
            }
            for (index, pair) in pairs.enumerated() {
                try await pair.client.write(randomBytes(size, seed: UInt64(index)))
            }
            // 8 pooled buffers and 4 spares.
            #expect(await waitUntil(loop) { $0.receiveBuffersLent == connections && $0.receiveBufferShortages > 0 })
            try gate.set()
            for receiver in receivers {
                let (index, received) = try await receiver.value
                #expect(received == randomBytes(size, seed: UInt64(index)))
            }
            let statistics = await loop.statistics
            #expect(statistics.receiveBuffersLent == 0)
            #expect(statistics.receiveBufferShortages > 0)
            for pair in pairs { try await pair.close() }
        }
    }

    /// A bad pool configuration fails the loop's creation, naming the value, before any
    /// receive (and leaves no loop thread or descriptor behind).
    @Test(arguments: TestBackend.allCases, [0, 3, 65_536])
    func aBadPoolBufferCountFailsTheLoop(_ backend: TestBackend, count: Int) async throws {
        var configuration = backend.configuration
        configuration.receiveBufferCount = count
        let error = await torusError { try EventLoop(configuration: configuration) }
        #expect(error?.operation == .eventLoop)
        guard case .invalidArgument(let text) = error?.reason else {
            Issue.record("expected .invalidArgument, got \(String(describing: error))")
            return
        }
        #expect(text.contains("receiveBufferCount") && text.contains("\(count)"))
    }

    @Test(arguments: TestBackend.allCases, [0, Int(Int32.max) + 1])
    func aBadPoolBufferSizeFailsTheLoop(_ backend: TestBackend, size: Int) async throws {
        var configuration = backend.configuration
        configuration.receiveBufferSize = size
        await expectTorusError(
            .eventLoop, .invalidArgument("receiveBufferSize must be in 1...\(Int32.max), got \(size)")
        ) {
            try EventLoop(configuration: configuration)
        }
    }
}

/// io_uring without provided-buffer rings (before Linux 5.19): the pool lends from a
/// stack and each receive holds its buffer while it waits; bytes still arrive exactly.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct ReceiveWithoutBufferRingTests {
    @Test(arguments: [1, 1024, 5000])
    func receivedBytesEchoExactly(size: Int) async throws {
        try await withTestLoop(.ioUring) { loop in
            guard case .completion(let reactor) = loop.reactor else {
                Issue.record("an io_uring test loop runs the completion reactor")
                return
            }
            let pool = try ReceiveBufferPool(bufferSize: 1024, count: 2, reactor: reactor, kernelSelects: false)
            loop.receiveBufferPool = pool
            #expect(pool.plan() == .lendFirst)
            let pair = try await ConnectedPair.make()
            let message = randomBytes(size, seed: UInt64(size))
            try await pair.client.write(message)
            try pair.client.shutdown(.write)
            var received: [UInt8] = []
            var open = true
            while open {
                open = try await pair.server.receive(timeout: .seconds(10)) { bytes in
                    received += bytes
                    return !bytes.isEmpty
                }
            }
            #expect(received == message)
            #expect(await loop.statistics.receiveBuffersLent == 0)
            try await pair.close()
        }
    }
}

/// The pool's spare buffers: made when it runs dry, then kept and reused, so a server
/// past its pool size stops allocating once it has seen its peak.
@Suite(.descriptorGate) struct ReceiveBufferPoolTests {
    @Test func spareBuffersAreKeptAndReused() throws {
        let pool = try ReceiveBufferPool(bufferSize: 64, count: 2, reactor: nil)
        let pooled = [pool.lend(for: .receiving), pool.lend(for: .receiving)]
        #expect(pooled.allSatisfy { $0.id != nil } && pool.lent == 2)
        let spare = pool.lend(for: .receiving)
        #expect(spare.id == nil && pool.shortages == 1)
        pool.giveBack(spare)
        let again = pool.lend(for: .receiving)
        #expect(again.bytes.baseAddress == spare.bytes.baseAddress, "the spare was reused, not reallocated")
        #expect(again.bytes.count == 64 && pool.shortages == 2)
        pool.giveBack(again)
        let forSending = pool.lend(for: .sending)
        #expect(
            forSending.bytes.baseAddress == spare.bytes.baseAddress && pool.shortages == 2, "sending is no shortage")
        pool.giveBack(forSending)
        for buffer in pooled { pool.giveBack(buffer) }
        #expect(pool.lent == 0)
        #expect(pool.lend(for: .receiving).id != nil, "pooled buffers are lent before spares")
    }
}
