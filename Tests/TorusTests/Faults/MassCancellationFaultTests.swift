import Testing

@testable import Torus

/// 10,000 operations in flight at once, then every one cancelled: sleeps, reads and
/// pooled receives on silent connections, writes to a peer that does not read, accepts
/// nobody makes, and callback-style reads cancelled through their handles. Each ends with
/// `CancellationError` (no other error, no hang), no byte is lost to a cancelled read,
/// the connections stay usable, and every slot, buffer and descriptor comes back; on
/// both reactors. (io_uring cancels in the kernel, 10,000 ASYNC_CANCELs; epoll ends
/// its waiters at once.)
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct MassCancellationFaultTests {
    static let operations = 10_000
    /// Of those, the reads started with a completion closure (a task each, inside).
    static let callbackReads = 1_000

    /// What the cancelled tasks wait on.
    private enum Kind: CaseIterable {
        case sleep, read, receive, write, accept
    }

    @Test(arguments: TestBackend.allCases)
    func tenThousandOperationsCancelledMidFlight(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let bystander = try await Bystander.make()
            let before = await loop.statistics
            var silent: [ConnectedPair] = []
            for _ in 0..<20 { silent.append(try await ConnectedPair.make()) }
            let stuffed = try await Self.makeStuffedPair(loop)
            let listener = try TCPListener.bind(to: .loopbackV4)
            let silentPairs = silent
            let setUp = await loop.statistics
            // Written over and over to the stuffed socket, whose peer never reads.
            let bulk = [UInt8](repeating: 1, count: 16 << 10)

            let callbackOutcomes = LoopConfined<[String: Int]>([:], on: loop)
            var handles: [CancellationHandle] = []
            for index in 0..<Self.callbackReads {
                handles.append(
                    silentPairs[index % silentPairs.count].server.read(upTo: 64) { result in
                        let outcome =
                            switch result {
                            case .failure(is CancellationError): "cancelled"
                            default: "\(result)"
                            }
                        callbackOutcomes.value[outcome, default: 0] += 1
                    })
            }
            let cancelled = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<Self.operations - Self.callbackReads {
                    let kind = Kind.allCases[index % Kind.allCases.count]
                    let pair = silentPairs[index % silentPairs.count]
                    group.addTask {
                        do {
                            switch kind {
                            case .sleep: try await loop.sleep(for: .seconds(60))
                            case .read: _ = try await pair.server.read(upTo: 64)
                            case .receive: _ = try await pair.client.receive { $0.count }
                            case .write:
                                // Until one waits: the peer may still open a little room.
                                while true { try await stuffed.client.write(bulk) }
                            case .accept: _ = try await listener.accept()
                            }
                            Issue.record("a \(kind) operation finished before it was cancelled")
                        } catch is CancellationError {
                            return 1
                        }
                        return 0
                    }
                }
                // Every operation waits (the accepts share one multishot accept too).
                let waiting = await waitUntil(loop) {
                    $0.operationSlotsInUse >= setUp.operationSlotsInUse + Self.operations
                }
                try #require(waiting, "not every operation was in flight")
                try await bystander.expectEcho(seed: 40)
                group.cancelAll()
                for handle in handles { handle.cancel() }
                return try await group.reduce(0, +)
            }
            #expect(cancelled == Self.operations - Self.callbackReads)
            #expect(await waitUntil(loop) { _ in callbackOutcomes.value.values.reduce(0, +) == Self.callbackReads })
            #expect(callbackOutcomes.value == ["cancelled": Self.callbackReads])

            // No byte went to a cancelled read or receive; the bystander still echoes.
            for (index, pair) in silentPairs.enumerated() {
                try await pair.client.write([UInt8(index), 1])
                #expect(try await pair.server.read(exactly: 2) == [UInt8(index), 1])
                try await pair.server.write([UInt8(index), 2])
                #expect(try await pair.client.read(exactly: 2) == [UInt8(index), 2])
                try await pair.close()
            }
            try await bystander.expectEcho(seed: 41)
            // The listener still accepts.
            let late = try await TCPConnection.connect(to: listener.localAddress)
            let accepted = try #require(try await listener.accept())
            try await late.write([7])
            #expect(try await accepted.read(exactly: 1) == [7])
            for connection in [late, accepted, stuffed.client, stuffed.server] { try await connection.close() }
            try await listener.close()
            await expectBack(to: before, on: loop)
            try await bystander.close()
        }
    }

    /// Handler API: served connections have no per-operation cancel; closing is how their
    /// operations are cut short. 200 served connections, each with a 256 KiB reply
    /// queued to a peer that does not read (a send in flight, the rest queued, a receive
    /// armed), closed at once: each handler hears `.closed` once, and every queued
    /// buffer, slot and descriptor comes back.
    @Test(arguments: TestBackend.allCases)
    func twoHundredServedConnectionsClosedMidSend(_ backend: TestBackend) async throws {
        let reply = randomBytes(256 << 10, seed: 42)
        try await withTestLoop(backend) { loop in
            let bystander = try await Bystander.make()
            let before = await loop.statistics
            var pairs: [ConnectedPair] = []
            var handlers: [RecordingHandler] = []
            for _ in 0..<200 {
                let pair = try await makeNarrowPair()
                let handler = RecordingHandler { connection, _ in try reply.withUnsafeBytes { try connection.send($0) }
                }
                try pair.server.serve(with: handler)
                try await pair.client.write([1])
                pairs.append(pair)
                handlers.append(handler)
            }
            let replying = handlers
            #expect(await waitUntil(loop) { _ in replying.allSatisfy { $0.heard.receivedCount == 1 } })
            #expect(await loop.statistics.receiveBuffersLent > 0, "the replies wait in the send queues")
            try await bystander.expectEcho(seed: 43)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for pair in pairs { group.addTask { try await pair.server.close() } }
                try await group.waitForAll()
            }
            // `.closed`, from the receive or from the send in flight (epoll: the send's
            // cancel comes first).
            for handler in handlers {
                let endings = handler.heard.endings
                #expect(endings.count == 1 && endings.first??.reason == .closed, "\(endings)")
            }
            await expectBack(to: before, on: loop, openDescriptors: pairs.count)
            try await bystander.expectEcho(seed: 44)
            for pair in pairs { try await pair.client.close() }
            try await bystander.close()
        }
    }

    /// A pair whose client can hardly write: its peer never reads, and the socket buffers
    /// are full (filled until a 64 KiB write waits 100 ms).
    private static func makeStuffedPair(_ loop: EventLoop) async throws -> ConnectedPair {
        let pair = try await ConnectedPair.make()
        try pair.client.setOption(.sendBufferSize(16 << 10))
        let chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            do {
                try await pair.client.write(chunk, timeout: .milliseconds(100))
            } catch let error as TorusError where error.reason == .timedOut {
                return pair
            }
        }
    }
}
