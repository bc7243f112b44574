import Glibc
import Synchronization
import Testing

@testable import Torus

/// Review of `serve(with:)`: defects found by reading, shown by tests.
@Suite(.timeLimit(.minutes(1)))
struct ReviewServeTests {
    /// `ConnectionHandler` promises its two methods run "one at a time". On epoll a send
    /// that fails at once (here: the server shut its own write side) cancels the receive
    /// synchronously, so `connectionEnded` runs inside `connection(_:received:)`.
    @Test(arguments: TestBackend.allCases)
    func connectionEndedDoesNotRunInsideReceived(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics
            let pair = try await ConnectedPair.make()
            let handler = DepthHandler()
            try pair.server.serve(with: handler)
            try pair.server.shutdown(.write)
            try await pair.client.write([1])
            #expect(await waitUntil(loop) { _ in handler.state.withLock { !$0.endDepths.isEmpty } })
            let state = handler.state.withLock { $0 }
            #expect(state.endDepths == [0], "connectionEnded ran nested inside received: \(state)")
            try await pair.client.close()
            await expectBackToBaseline(baseline, on: loop)
        }
    }

    /// The comment in `ConnectionStream.end` promises "the cycle with the connection must
    /// not outlive [the loop], whatever the handler did". A handler that does not close
    /// after end of stream keeps connection <-> stream alive past shutdown, and with them
    /// the loop itself (the connection holds it strongly), its ring and its buffer pool.
    @Test(arguments: TestBackend.allCases, [true, false])
    func aServedConnectionDoesNotOutliveItsLoop(_ backend: TestBackend, handlerCloses: Bool) async throws {
        try await withDescriptorGate {
            let loopReference = WeakReference<EventLoop>()
            let connectionReference = WeakReference<TCPConnection>()
            try await {
                let loop = try backend.makeLoop()
                loopReference.object = loop
                try await loop.run {
                    let pair = try await ConnectedPair.make()
                    connectionReference.object = pair.server
                    let handler = IgnoringHandler(closes: handlerCloses)
                    try pair.server.serve(with: handler)
                    try await pair.client.close()
                    #expect(await waitUntil(loop) { _ in handler.ended.load(ordering: .relaxed) })
                }
                await loop.shutdown()
            }()
            var released = false
            for _ in 0..<200 where !released {
                released = loopReference.object == nil && connectionReference.object == nil
                if !released { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(connectionReference.object == nil, "the served connection outlived its loop")
            #expect(loopReference.object == nil, "the loop was never freed")
        }
    }

    /// At shutdown `ConnectionStream.end` drops the queued chunks (hands their buffers
    /// back to the pool) as soon as the receive has ended, while the send of the first
    /// chunk may still be in flight: its slot is still in use when the handler hears
    /// `.loopShutDown`, and the buffers go back right after. On io_uring the kernel may
    /// still read that buffer (and a ring buffer may be selected by another receive).
    @Test(arguments: TestBackend.allCases)
    func queuedBuffersGoBackOnlyAfterTheSendInFlightEnds(_ backend: TestBackend) async throws {
        let reply = randomBytes(32 << 20, seed: 7)
        try await withDescriptorGate {
            let loop = try backend.makeLoop()
            let handler = ShutdownProbe(reply: reply)
            let client = try await loop.run {
                let pair = try await ConnectedPair.make()
                try pair.server.setOption(.sendBufferSize(16 << 10))
                try pair.server.serve(with: handler)
                try await pair.client.write([1])
                #expect(await waitUntil(loop) { _ in handler.slotsInUseAtEnd.load(ordering: .relaxed) == -2 })
                return pair.client
            }
            await loop.shutdown()
            let slots = handler.slotsInUseAtEnd.load(ordering: .relaxed)
            #expect(slots == 0, "when the stream ended and dropped its queue, \(slots) slot(s) (its send) were in use")
            withExtendedLifetime(client) {}
        }
    }
}

/// Holds a reference weakly, for checking that an object was freed.
private final class WeakReference<Object: AnyObject>: @unchecked Sendable {
    // @unchecked Sendable: set on the loop thread, read by the test after the loop's
    // shutdown has returned (the awaits order the accesses).
    weak var object: Object?
}

/// Replies to every arrival with a send and records how deep in `received` each
/// `connectionEnded` ran.
private final class DepthHandler: ConnectionHandler, Sendable {
    struct State: Sendable {
        var depth = 0
        var endDepths: [Int] = []
        var sendErrors: [String] = []
    }

    let state = Mutex(State())

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        state.withLock { $0.depth += 1 }
        do {
            try connection.send(bytes)
        } catch {
            state.withLock { $0.sendErrors.append("\(error)") }
        }
        state.withLock { $0.depth -= 1 }
    }

    func connectionEnded(_ connection: TCPConnection, error: TorusError?) {
        state.withLock { $0.endDepths.append($0.depth) }
        connection.closeWhenSent()
    }
}

/// Records the end; closes only when told to (a server keeping a half-closed
/// connection, or one that forgets).
private final class IgnoringHandler: ConnectionHandler, Sendable {
    let closes: Bool
    let ended = Atomic(false)

    init(closes: Bool) { self.closes = closes }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {}

    func connectionEnded(_ connection: TCPConnection, error: TorusError?) {
        ended.store(true, ordering: .relaxed)
        if closes { connection.closeWhenSent() }
    }
}

/// Queues a large reply on the first arrival; records the loop's slots in use when the
/// end comes (-2 once the reply is queued, -1 before).
private final class ShutdownProbe: ConnectionHandler, Sendable {
    let reply: [UInt8]
    let slotsInUseAtEnd = Atomic(-1)

    init(reply: [UInt8]) { self.reply = reply }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        reply.withUnsafeBytes { try? connection.send($0) }
        slotsInUseAtEnd.store(-2, ordering: .relaxed)
    }

    func connectionEnded(_ connection: TCPConnection, error: TorusError?) {
        slotsInUseAtEnd.store(connection.loop.slots.inUse, ordering: .relaxed)
    }
}

/// Waits until the loop's slots, descriptors and lent buffers are back to `baseline`.
private func expectBackToBaseline(
    _ baseline: LoopStatistics, on loop: EventLoop, sourceLocation: SourceLocation = #_sourceLocation
) async {
    let settled = await waitUntil(loop) {
        $0.operationSlotsInUse == baseline.operationSlotsInUse
            && $0.descriptorsOwned == baseline.descriptorsOwned && $0.receiveBuffersLent == 0
    }
    let statistics = await loop.statistics
    #expect(settled, "not back to the baseline: \(statistics)", sourceLocation: sourceLocation)
}
