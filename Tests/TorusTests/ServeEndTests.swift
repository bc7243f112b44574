import Glibc
import Synchronization
import Testing

@testable import Torus

/// How a served connection ends: the handler hears the end once and never inside its
/// own `received`, a failed connection stops receiving, sends during shutdown throw, the
/// connection and its loop are freed whatever the handler did, and a buffer a send still
/// reads stays lent.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct ServeEndTests {
    /// The handler's two methods run one at a time: a send that fails at once (the
    /// server shut its own write side; epoll cancels the receive synchronously) ends the
    /// connection, and the handler hears it, with the send's error, once `received`
    /// has returned.
    @Test(arguments: TestBackend.allCases)
    func connectionEndedDoesNotRunInsideReceived(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics
            let pair = try await ConnectedPair.make()
            let handler = DepthHandler()
            try pair.server.serve(with: handler)
            try pair.server.shutdown(.write)
            try await pair.client.write([1])
            #expect(await waitUntil(loop) { _ in handler.state.withTSanVisibleLock { !$0.endDepths.isEmpty } })
            let state = handler.state.withTSanVisibleLock { $0 }
            #expect(state.endDepths == [0], "connectionEnded ran nested inside received: \(state)")
            #expect(state.endErrors == [TorusError(.write, .system(.brokenPipe))])
            try await pair.client.close()
            await expectBack(to: baseline, on: loop)
        }
    }

    /// A served connection and its stream reference each other until the descriptor
    /// closes; a handler that does not close after end of stream (a half-closed
    /// connection kept, or a forgotten close) must not keep them, and with them the loop
    /// (its ring, its buffer pool), alive after the loop exits.
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

    /// At shutdown the receive may end (and the handler hear `.loopShutDown`) while the
    /// send of the first queued chunk is still in flight: that chunk's buffer must stay
    /// lent until the send ends (on io_uring the kernel may still read it, and a ring
    /// buffer could be selected by another receive meanwhile).
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
            let lent = handler.buffersLentAtEnd.load(ordering: .relaxed)
            #expect(slots == 0 || lent >= 1, "a send was in flight (\(slots) slot) but every buffer was back")
            withExtendedLifetime(client) {}
        }
    }

    /// A connection whose receiving is paused (its send queue past the high watermark:
    /// the peer does not read) when the loop shuts down: its handler still hears
    /// `.loopShutDown`, once (from the cancelled send in flight), and shutdown returns.
    /// With `echo` the queue holds the received buffers themselves, else copies of a
    /// 4 MiB reply.
    @Test(arguments: TestBackend.allCases, [false, true])
    func aPausedConnectionHearsTheLoopShutDown(_ backend: TestBackend, echo: Bool) async throws {
        let reply = randomBytes(4 << 20, seed: 8)
        try await withDescriptorGate {
            let loop = try backend.makeLoop()
            let handler = PauseProbe(reply: echo ? [] : reply)
            let client = try await loop.run {
                let pair = try await ConnectedPair.make()
                try pair.server.setOption(.sendBufferSize(16 << 10))
                try pair.server.serve(with: handler)
                if echo {
                    let message = reply
                    Task(executorPreference: loop) { try? await pair.client.write(message) }
                } else {
                    try await pair.client.write([1])
                }
                #expect(await waitUntil(loop) { _ in handler.state.withLock { $0.paused } })
                return pair.client
            }
            await loop.shutdown()
            let endings = handler.state.withLock { $0.endings }
            #expect(endings.count == 1 && endings.first??.reason == .loopShutDown, "\(endings)")
            withExtendedLifetime(client) {}
        }
    }

    /// While the loop shuts down, a send (here from `connectionEnded`) throws
    /// `.loopShutDown` instead of queueing bytes nobody will send.
    @Test(arguments: TestBackend.allCases)
    func aSendDuringShutdownThrowsLoopShutDown(_ backend: TestBackend) async throws {
        try await withDescriptorGate {
            let loop = try backend.makeLoop()
            let handler = SendAtEndHandler()
            let client = try await loop.run {
                let pair = try await ConnectedPair.make()
                try pair.server.serve(with: handler)
                return pair.client
            }
            await loop.shutdown()
            #expect(handler.outcome.withTSanVisibleLock { $0 } == [TorusError(.write, .loopShutDown)])
            withExtendedLifetime(client) {}
        }
    }

    /// Where the kernel refuses multishot receives (before Linux 6.0: forced here), a
    /// served connection receives one kernel-selected buffer at a time: bytes still
    /// arrive whole, and while idle it holds no buffer, only its receive's slot.
    @Test(arguments: TestBackend.allCases)
    func withoutMultishotReceivesAnIdleConnectionHoldsNoBuffer(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try loop.receiveBuffers().multishotRefused = true
            let baseline = await loop.statistics
            let pair = try await ConnectedPair.make()
            try pair.server.serve(with: EchoHandler())
            let message = randomBytes(100_000, seed: 21)
            let writer = Task(executorPreference: loop) { try await pair.client.write(message) }
            #expect(try await pair.client.read(exactly: message.count) == message)
            try await writer.value
            let idle = await loop.statistics
            #expect(idle.receiveBuffersLent == 0)
            #expect(idle.operationSlotsInUse == baseline.operationSlotsInUse + 1)
            try await pair.client.close()
            await expectBack(to: baseline, on: loop)
        }
    }

    /// A peer that sends faster than one turn reads (2 MiB at once, 128 pooled buffers'
    /// worth): epoll reads a bounded number of times per edge and goes on next turn,
    /// and every byte still comes back in order.
    @Test(arguments: TestBackend.allCases)
    func aFloodIsReadInTurnsAndEchoedWhole(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics
            let pair = try await ConnectedPair.make()
            try pair.server.serve(with: EchoHandler())
            let message = randomBytes(2 << 20, seed: 22)
            let writer = Task(executorPreference: loop) { try await pair.client.write(message) }
            #expect(try await pair.client.read(exactly: message.count) == message)
            try await writer.value
            try await pair.client.close()
            await expectBack(to: baseline, on: loop)
        }
    }
}

/// At the end, tries to send one byte and records what that did.
private final class SendAtEndHandler: ConnectionHandler, Sendable {
    let outcome = Mutex<[TorusError]>([])

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {}

    func connectionEnded(_ connection: TCPConnection, error: TorusError?) {
        do {
            try [UInt8(1)].withUnsafeBytes { try connection.send($0) }
        } catch let error as TorusError {
            outcome.withTSanVisibleLock { $0.append(error) }
        } catch {
            Issue.record("not a TorusError: \(error)")
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
        var endErrors: [TorusError?] = []
        var sendErrors: [String] = []
    }

    let state = Mutex(State())

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        state.withTSanVisibleLock { $0.depth += 1 }
        do {
            try connection.send(bytes)
        } catch {
            state.withTSanVisibleLock { $0.sendErrors.append("\(error)") }
        }
        state.withTSanVisibleLock { $0.depth -= 1 }
    }

    func connectionEnded(_ connection: TCPConnection, error: TorusError?) {
        state.withTSanVisibleLock {
            $0.endDepths.append($0.depth)
            $0.endErrors.append(error)
        }
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
    let buffersLentAtEnd = Atomic(-1)

    init(reply: [UInt8]) { self.reply = reply }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        reply.withUnsafeBytes { try? connection.send($0) }
        slotsInUseAtEnd.store(-2, ordering: .relaxed)
    }

    func connectionEnded(_ connection: TCPConnection, error: TorusError?) {
        buffersLentAtEnd.store(connection.loop.receiveBufferPool?.lent ?? 0, ordering: .relaxed)
        slotsInUseAtEnd.store(connection.loop.slots.inUse, ordering: .relaxed)
    }
}

/// Answers what arrives with `reply` (more than the send queue's high watermark), or
/// echoes it when `reply` is empty, and records whether that paused receiving and how
/// the connection ended.
private final class PauseProbe: ConnectionHandler, Sendable {
    struct State {
        var paused = false
        var endings: [TorusError?] = []
    }

    let state = Mutex(State())
    private let reply: [UInt8]

    init(reply: [UInt8]) { self.reply = reply }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        do {
            if reply.isEmpty {
                try connection.send(bytes)
            } else {
                try reply.withUnsafeBytes { try connection.send($0) }
            }
        } catch {
            Issue.record("reply failed: \(error)")
        }
        let paused = !connection.isWritable
        state.withLock { $0.paused = paused }
    }

    func connectionEnded(_ connection: TCPConnection, error: TorusError?) {
        state.withLock { $0.endings.append(error) }
    }
}
