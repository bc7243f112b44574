import Testing

@testable import Torus

/// A peer resets its connection (SO_LINGER 0: a RST, not a FIN) while the server waits
/// to read from it and while the server waits to write to it: each waiting call fails
/// with ECONNRESET, on both reactors and in both API styles, and a bystander connection
/// on the same loop echoes during and after.
///
/// Also covered elsewhere: a pending `read(upTo:)` (TCPErrorTests
/// `resetWhileAReadIsPendingSurfacesAsConnectionReset`).
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct PeerResetFaultTests {
    /// Task API: a pooled `receive` and a `write` blocked on a peer that never reads.
    @Test(arguments: TestBackend.allCases)
    func aResetFailsThePendingReceiveAndWriteWithConnectionReset(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let bystander = try await Bystander.make()
            let baseline = await loop.statistics
            let reading = try await ConnectedPair.make()
            let writing = try await ConnectedPair.make()
            let receiver = Task(executorPreference: loop) {
                try await reading.server.receive(timeout: .seconds(10)) { $0.count }
            }
            try writing.server.setOption(.sendBufferSize(16 << 10))
            let writer = Task(executorPreference: loop) {
                let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 1)
                defer { chunk.deallocate() }
                chunk.initializeMemory(as: UInt8.self, repeating: 1)
                for _ in 0..<64 { try await writing.server.write(UnsafeRawBufferPointer(chunk), timeout: .seconds(10)) }
            }
            // 64 MiB cannot fit in the socket buffers of a peer that does not read: the
            // writer waits for room (still, 100 ms later), and the receiver for bytes.
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == baseline.operationSlotsInUse + 2 })
            try await loop.sleep(for: .milliseconds(100))
            #expect(await loop.statistics.operationSlotsInUse == baseline.operationSlotsInUse + 2)
            try await bystander.expectEcho(seed: 2)

            for peer in [reading.client, writing.client] {
                try peer.setOption(.resetOnClose(true))
                try await peer.close()
            }
            await #expect(throws: TorusError(.read, .system(.connectionReset))) { try await receiver.value }
            await #expect(throws: TorusError(.write, .system(.connectionReset))) { try await writer.value }
            try await bystander.expectEcho(seed: 3)
            try await reading.server.close()
            try await writing.server.close()
            await expectBack(to: baseline, on: loop)
            try await bystander.close()
        }
    }

    /// Handler API: an idle served connection (its receive armed) and one with a 4 MiB
    /// reply queued to a peer that does not read. Each handler hears the reset once, as
    /// its end; the connections close themselves and give every buffer back.
    @Test(arguments: TestBackend.allCases)
    func aResetEndsServedConnectionsWithConnectionReset(_ backend: TestBackend) async throws {
        let reply = randomBytes(4 << 20, seed: 4)
        try await withTestLoop(backend) { loop in
            let bystander = try await Bystander.make()
            let baseline = await loop.statistics
            let idle = try await ConnectedPair.make()
            let idleHandler = RecordingHandler { _, _ in }
            try idle.server.serve(with: idleHandler)
            let sending = try await makeNarrowPair()
            let sendingHandler = RecordingHandler { connection, _ in
                try reply.withUnsafeBytes { try connection.send($0) }
            }
            try sending.server.serve(with: sendingHandler)
            try await sending.client.write([1])
            #expect(await waitUntil(loop) { $0.receiveBuffersLent > 0 }, "the reply waits in the send queue")
            try await bystander.expectEcho(seed: 5)

            for peer in [idle.client, sending.client] {
                try peer.setOption(.resetOnClose(true))
                try await peer.close()
            }
            await expectBack(to: baseline, on: loop)
            #expect(idleHandler.heard.endings == [TorusError(.read, .system(.connectionReset))])
            // The receive or the send in flight sees the reset first; either way the
            // reason is the reset.
            let endings = sendingHandler.heard.endings
            #expect(endings.count == 1 && endings.first??.reason == .system(.connectionReset), "\(endings)")
            try await bystander.expectEcho(seed: 6)
            try await bystander.close()
        }
    }
}
