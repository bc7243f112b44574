import Testing

@testable import Torus

/// The receive pool runs dry under multishot receives: a pool of 4 buffers of 1 KiB,
/// and 24 served echo connections whose peers send 128 KiB each and do not read yet, so
/// the echoes' queues hold the buffers they received into. io_uring: the buffer ring is
/// empty and the multishot receives end with ENOBUFS, bridged by one receive into a
/// spare buffer and re-armed. epoll's equivalent: no kernel selection; a receive that
/// finds every buffer lent reads into a spare. Meanwhile a task's `receive` and a
/// bystander's echo still get their bytes; then every byte comes back in order and every
/// buffer, spares included, goes back; on both reactors.
///
/// Also covered elsewhere: the dry pool on its own (ServeTests `aDryPoolLosesNoByte`,
/// ReceiveTests `aDryPoolFallsBackToSpareBuffersAndLosesNothing`).
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct BufferExhaustionFaultTests {
    @Test(arguments: TestBackend.allCases)
    func anEmptyBufferRingUnderMultishotReceivesLosesNoByte(_ backend: TestBackend) async throws {
        let connections = 24
        let size = 128 << 10
        try await withTestLoop(
            backend,
            configure: {
                $0.receiveBufferSize = 1024
                $0.receiveBufferCount = 4
            }
        ) { loop in
            let bystander = try await Bystander.make()
            let before = await loop.statistics
            let (pairs, handlers) = try await makeNarrowEchoes(connections)
            for (index, pair) in pairs.enumerated() {
                try await pair.client.write(randomBytes(size, seed: UInt64(80 + index)))
            }
            let echoing = handlers
            let dry = await waitUntil(loop) { _ in echoing.allSatisfy { $0.heard.receivedCount == size } }
            try #require(dry, "the echoes did not receive everything")
            let exhausted = await loop.statistics
            #expect(exhausted.receiveBuffersLent > 4, "the queues hold more buffers than the pool has: \(exhausted)")
            #expect(exhausted.receiveBufferShortages > before.receiveBufferShortages, "\(exhausted)")

            // The rest of the loop, with every pooled buffer lent: a task's receive, which
            // waits for its bytes without holding a buffer, and the bystander's echo.
            let other = try await ConnectedPair.make()
            let waitingFrom = await loop.statistics
            let receiver = Task(executorPreference: loop) {
                try await other.server.receive(timeout: .seconds(10)) { Array($0) }
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == waitingFrom.operationSlotsInUse + 1 })
            try await loop.sleep(for: .milliseconds(20))  // io_uring answers an empty ring at once
            let waiting = await loop.statistics
            // No spare lent to it (the echoes' queues may drain meanwhile, never grow).
            #expect(
                waiting.receiveBufferShortages == waitingFrom.receiveBufferShortages, "a waiting receive took a spare")
            #expect(waiting.receiveBuffersLent <= waitingFrom.receiveBuffersLent, "a waiting receive holds a buffer")
            try await other.client.write([1, 2, 3])
            var received = try await receiver.value
            while received.count < 3 {
                received += try await other.server.receive(timeout: .seconds(10)) { Array($0) }
            }
            #expect(received == [1, 2, 3])
            try await other.close()
            try await bystander.expectEcho(seed: 90)

            for (index, pair) in pairs.enumerated() {
                let echoed = try await pair.client.read(exactly: size)
                expectSameBytes(echoed, randomBytes(size, seed: UInt64(80 + index)))
                try await pair.client.close()
            }
            // Every buffer is back, though the bystander received during the shortage:
            // its idle receive waits without one.
            await expectBack(to: before, on: loop)
            for handler in handlers { #expect(handler.heard.endings == [nil]) }
            try await bystander.expectEcho(seed: 91)
            try await bystander.close()
        }
    }
}
