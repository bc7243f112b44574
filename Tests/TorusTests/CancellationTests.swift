import Testing

@testable import Torus

/// Cancelling a task blocked in an operation throws `CancellationError` once the kernel
/// has let go of the operation, leaves nothing behind, and leaves the handle usable.
/// Also: closing a handle under a pending call, and per-call timeouts.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct CancellationTests {
    @Test(arguments: TestBackend.allCases)
    func cancellingABlockedReadThrowsCancellationError(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let reader = Task(executorPreference: loop) { try await pair.client.read(upTo: 64) }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 1 })
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            #expect(await loop.statistics.operationSlotsInUse == 0)
            // The connection still works, and no byte went to the cancelled read.
            try await pair.server.write([1, 2, 3])
            #expect(try await pair.client.read(exactly: 3) == [1, 2, 3])
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingABlockedReadIntoABufferThrowsCancellationError(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let reader = Task(executorPreference: loop) {
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
                defer { buffer.deallocate() }
                return try await pair.client.read(into: buffer, timeout: .seconds(60))
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 1 })
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingABlockedAcceptThrowsCancellationError(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            let acceptor = Task(executorPreference: loop) { try await listener.accept() }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 2 })  // multishot + waiter
            acceptor.cancel()
            await #expect(throws: CancellationError.self) { try await acceptor.value }
            // No connection is lost: the next accept() gets the next client.
            let client = try await TCPConnection.connect(to: listener.localAddress)
            let server = try #require(try await listener.accept())
            try await client.write([9])
            #expect(try await server.read(exactly: 1) == [9])
            try await listener.close()
            try await client.close()
            try await server.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingAConnectionsLoopThrowsCancellationError(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            let acceptor = Task(executorPreference: loop) {
                for try await connection in listener.connections { try await connection.close() }
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 2 })
            acceptor.cancel()
            await #expect(throws: CancellationError.self) { try await acceptor.value }
            try await listener.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingASleepThrowsCancellationError(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let sleeper = Task(executorPreference: loop) { try await loop.sleep(for: .seconds(60)) }
            let deadlineSleeper = Task(executorPreference: loop) {
                try await loop.sleep(until: .now + .seconds(60))
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 2 })
            sleeper.cancel()
            deadlineSleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            await #expect(throws: CancellationError.self) { try await deadlineSleeper.value }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingFromAnotherThreadReachesTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let sleeper = Task(executorPreference: loop) { try await loop.sleep(for: .seconds(60)) }
            let reader = Task(executorPreference: loop) { try await pair.client.read(upTo: 8) }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 2 })
            try await offLoop {
                sleeper.cancel()
                reader.cancel()
            }
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            await #expect(throws: CancellationError.self) { try await reader.value }
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingATaskSleepingOffTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            // A plain task: the sleep hops onto the loop, the cancellation follows it.
            let sleeper = Task.detached { try await loop.sleep(for: .seconds(60)) }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 1 })
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func operationsInAnAlreadyCancelledTaskThrowCancellationError(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let task = Task(executorPreference: loop) {
                withUnsafeCurrentTask { $0?.cancel() }
                await #expect(throws: CancellationError.self) { try await loop.nop() }
                await #expect(throws: CancellationError.self) { try await loop.sleep(for: .seconds(60)) }
                await #expect(throws: CancellationError.self) { try await pair.client.read(upTo: 8) }
            }
            await task.value
            // The cancelled read consumed nothing.
            try await pair.server.write([4])
            #expect(try await pair.client.read(upTo: 8) == [4])
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func manyCancelledOperationsLeaveNothingBehind(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            var tasks: [Task<Void, any Error>] = []
            for index in 0..<200 {
                tasks.append(
                    Task(executorPreference: loop) {
                        if index.isMultiple(of: 2) {
                            try await loop.sleep(for: .seconds(60))
                        } else {
                            _ = try await pair.server.read(upTo: 8)
                        }
                    })
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 200 })
            for task in tasks { task.cancel() }
            for task in tasks {
                await #expect(throws: CancellationError.self) { try await task.value }
            }
            #expect(await loop.statistics.operationSlotsInUse == 0)
            try await pair.close()
        }
    }

    // MARK: Closing under a pending call

    @Test(arguments: TestBackend.allCases)
    func closingAConnectionEndsAPendingReadWithClosed(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let reader = Task(executorPreference: loop) { try await pair.client.read(upTo: 64) }
            let writer = Task(executorPreference: loop) {
                // Fills the socket buffers, then blocks: the peer never reads.
                let chunk = randomBytes(1 << 20, seed: 4)
                for _ in 0..<64 { try await pair.client.write(chunk) }
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 2 })
            try await pair.client.close()
            await #expect(throws: TorusError(.read, .closed)) { try await reader.value }
            await #expect(throws: TorusError(.write, .closed)) { try await writer.value }
            try await pair.server.close()
        }
    }

    // MARK: Per-call timeouts

    @Test(arguments: TestBackend.allCases)
    func readTimesOutOnASilentPeerAndTheConnectionStaysUsable(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
            defer { buffer.deallocate() }
            await expectTorusError(.read, .timedOut) {
                try await pair.client.read(into: buffer, timeout: .milliseconds(20))
            }
            await expectTorusError(.read, .timedOut) {
                try await pair.client.read(upTo: 8, timeout: .milliseconds(1))
            }
            #expect(await loop.statistics.operationSlotsInUse == 0)
            // A later write from the peer is read in full, by a read with a timeout too.
            try await pair.server.write(Array("still here".utf8))
            let count = try await pair.client.read(into: buffer, timeout: .seconds(10))
            var received = Array(buffer.prefix(count))
            received += try await pair.client.read(exactly: 10 - count)
            #expect(received == Array("still here".utf8))
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func connectWithATimeout(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            // Succeeds well within a generous timeout.
            var options = TCPListener.Options()
            options.backlog = 0
            let listener = try TCPListener.bind(to: .loopbackV4, options: options)
            let first = try await TCPConnection.connect(to: listener.localAddress, timeout: .seconds(10))
            // Nobody accepts and the backlog is full: the kernel drops further SYNs, so
            // a connect hangs until its timeout. Bounded at 8 attempts.
            var connected = [first]
            var timedOut = false
            for _ in 0..<8 {
                do {
                    connected.append(
                        try await TCPConnection.connect(to: listener.localAddress, timeout: .milliseconds(200)))
                } catch let error as TorusError {
                    #expect(error == TorusError(.connect, .timedOut))
                    timedOut = true
                    break
                }
            }
            #expect(timedOut, "every connect succeeded: the listen backlog never filled")
            try await listener.close()
            for connection in connected { try await connection.close() }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func writeWithATimeoutToAStalledPeerTimesOut(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            try pair.client.setOption(.sendBufferSize(16 << 10))
            try pair.server.setOption(.receiveBufferSize(16 << 10))
            // The peer never reads: once the buffers fill, a send waits past its timeout.
            let chunk = randomBytes(1 << 20, seed: 5)
            await expectTorusError(.write, .timedOut) {
                for _ in 0..<64 { try await pair.client.write(chunk, timeout: .milliseconds(100)) }
            }
            try await pair.close()
        }
    }
}
