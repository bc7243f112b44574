import Glibc
import Synchronization
import Testing

@testable import Torus

/// `TCPConnection.serve(with:)`: a connection served by a ``ConnectionHandler`` without a
/// task. Bytes arrive exactly and in order, replies are copied (or kept in their receive
/// buffer) and leave in order, large and stalled sends complete, the handler hears the end
/// once, bad calls throw clear errors, and no slot, buffer or descriptor is left behind.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct ServeTests {
    // MARK: Bytes

    @Test(arguments: TestBackend.allCases)
    func anEchoHandlerSendsBackEveryByteInOrder(_ backend: TestBackend) async throws {
        let handler = RecordingHandler { connection, bytes in try connection.send(bytes) }
        try await withServedPair(backend, handler) { loop, pair, baseline in
            let message = randomBytes(200_000, seed: 1)
            let writer = Task(executorPreference: loop) {
                for start in stride(from: 0, to: message.count, by: 30_000) {
                    try await pair.client.write(message[start..<min(start + 30_000, message.count)])
                }
                try pair.client.shutdown(.write)
            }
            expectSameBytes(try await pair.client.read(exactly: message.count), message)
            try await writer.value
            #expect(
                try await pair.client.read(upTo: 16, timeout: .seconds(10)).isEmpty,
                "the server closed after end of stream")
            await expectBack(to: baseline, on: loop, openDescriptors: 1)
            #expect(handler.heard.endings == [nil])
            #expect(handler.heard.receivedCount == message.count)
        }
    }

    /// A handler that leaves `connectionEnded` to the protocol's default: the connection
    /// closes once its replies have left.
    @Test(arguments: TestBackend.allCases)
    func theDefaultEndClosesTheConnectionAfterItsReplies(_ backend: TestBackend) async throws {
        try await withServedPair(backend, EchoHandler()) { loop, pair, baseline in
            try await pair.client.write([1, 2, 3])
            #expect(try await pair.client.read(exactly: 3) == [1, 2, 3])
            try pair.client.shutdown(.write)
            #expect(try await readToEnd(pair.client) == [])
            await expectBack(to: baseline, on: loop, openDescriptors: 1)
        }
    }

    /// The last bytes and the end of stream arrive together (written and shut down with no
    /// loop turn between): the handler hears both, and the connection closes.
    @Test(arguments: TestBackend.allCases)
    func endOfStreamArrivingWithTheLastBytesIsHeard(_ backend: TestBackend) async throws {
        let handler = RecordingHandler { connection, bytes in try connection.send(bytes) }
        try await withServedPair(backend, handler) { loop, pair, baseline in
            try await pair.client.write([1, 2, 3])
            try pair.client.shutdown(.write)
            #expect(try await readToEnd(pair.client) == [1, 2, 3])
            #expect(handler.heard.endings == [nil])
            await expectBack(to: baseline, on: loop, openDescriptors: 1)
        }
    }

    /// A reply built in the handler is copied: the handler scribbles over it as soon as
    /// `send` returns, and the peer still reads the reply.
    @Test(arguments: TestBackend.allCases)
    func aReplyBuiltInTheHandlerIsCopied(_ backend: TestBackend) async throws {
        let handler = RecordingHandler { connection, bytes in
            var reply = bytes.map { ~$0 }
            try reply.withUnsafeBytes { try connection.send($0) }
            for index in reply.indices { reply[index] = 0xEE }
        }
        try await withServedPair(backend, handler) { loop, pair, baseline in
            let message = randomBytes(100_000, seed: 2)
            try await pair.client.write(message)
            try pair.client.shutdown(.write)
            expectSameBytes(try await readToEnd(pair.client), message.map { ~$0 })
            #expect(handler.heard.endings == [nil])
        }
    }

    /// Several sends in one callback, some of the received bytes themselves (sent from
    /// their buffer) and some copied into the room after them: the peer reads exactly their
    /// concatenation.
    @Test(arguments: TestBackend.allCases)
    func sendsInOneCallbackArriveInOrder(_ backend: TestBackend) async throws {
        let handler = RecordingHandler { connection, bytes in
            for range in Self.replyRanges(count: bytes.count) {
                try connection.send(UnsafeRawBufferPointer(rebasing: bytes[range]))
            }
            try Self.trailer.withUnsafeBytes { try connection.send($0) }
        }
        try await withServedPair(backend, handler) { loop, pair, baseline in
            let message = randomBytes(50_000, seed: 3)
            try await pair.client.write(message)
            try pair.client.shutdown(.write)
            let received = try await readToEnd(pair.client)
            let chunks = handler.heard.chunks
            #expect(chunks.reduce([], +) == message)
            let expected: [UInt8] = chunks.flatMap { chunk in
                Self.replyRanges(count: chunk.count).flatMap { Array(chunk[$0]) } + Self.trailer
            }
            expectSameBytes(received, expected)
        }
    }

    /// Two bytes ``sendsInOneCallbackArriveInOrder(_:)`` sends after each reply, copied
    /// into the room left after the last one.
    private static let trailer: [UInt8] = [0xAB, 0xCD]

    /// What ``sendsInOneCallbackArriveInOrder(_:)`` replies to `count` received bytes:
    /// bytes 0..<10, then 20..<30 (copied: the first range took the buffer), then all.
    private static func replyRanges(count: Int) -> [Range<Int>] {
        [0..<min(10, count), min(20, count)..<min(30, count), 0..<count]
    }

    /// 4 MiB queued while the peer does not read (in one send, or in 1000-byte sends that
    /// coalesce): the sends wait, then everything arrives in order once the peer reads.
    @Test(arguments: TestBackend.allCases, [4 << 20, 1000])
    func aLargeReplyWaitsForThePeerAndArrivesWhole(_ backend: TestBackend, piece: Int) async throws {
        let reply = randomBytes(4 << 20, seed: 4)
        let handler = RecordingHandler { connection, _ in
            try reply.withUnsafeBytes { reply in
                for start in stride(from: 0, to: reply.count, by: piece) {
                    try connection.send(
                        UnsafeRawBufferPointer(rebasing: reply[start..<min(start + piece, reply.count)]))
                }
            }
        }
        try await withServedPair(backend, handler, narrow: true) { loop, pair, baseline in
            try await pair.client.write([1])
            #expect(await waitUntil(loop) { _ in handler.heard.receivedCount == 1 })
            #expect(await loop.statistics.receiveBuffersLent > 0, "the reply waits in lent buffers")
            expectSameBytes(try await pair.client.read(exactly: reply.count), reply)
            try pair.client.shutdown(.write)
            #expect(try await pair.client.read(upTo: 16, timeout: .seconds(10)).isEmpty)
            #expect(handler.heard.endings == [nil])
        }
    }

    /// More served connections than pool buffers, each echo holding its buffers while the
    /// peer does not read: the pool runs dry (io_uring answers ENOBUFS and the stream
    /// receives one at a time into spares), and every byte still comes back in order.
    @Test(arguments: TestBackend.allCases)
    func aDryPoolLosesNoByte(_ backend: TestBackend) async throws {
        let connections = 12
        let size = 64 << 10
        try await withTestLoop(backend, configure: ReceiveTests.smallPool) { loop in
            let baseline = await loop.statistics
            let (pairs, handlers) = try await makeNarrowEchoes(connections)
            for (index, pair) in pairs.enumerated() {
                try await pair.client.write(randomBytes(size, seed: UInt64(index)))
            }
            let pending = handlers
            #expect(await waitUntil(loop) { _ in pending.allSatisfy { $0.heard.receivedCount == size } })
            let statistics = await loop.statistics
            #expect(statistics.receiveBuffersLent > 8, "replies hold more buffers than the pool has: \(statistics)")
            #expect(statistics.receiveBufferShortages > 0, "\(statistics)")
            for (index, pair) in pairs.enumerated() {
                expectSameBytes(try await pair.client.read(exactly: size), randomBytes(size, seed: UInt64(index)))
                try pair.client.shutdown(.write)
                #expect(try await pair.client.read(upTo: 16, timeout: .seconds(10)).isEmpty)
                try await pair.client.close()
            }
            #expect(handlers.allSatisfy { $0.heard.endings == [nil] })
            await expectBack(to: baseline, on: loop)
        }
    }

    // MARK: Bad calls

    @Test(arguments: TestBackend.allCases)
    func sendOnAConnectionNotServedIsAnInvalidArgument(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics
            let pair = try await ConnectedPair.make()
            let error = await torusError { try Self.send([1, 2], on: pair.server) }
            #expect(error?.operation == .write)
            guard case .invalidArgument(let text) = error?.reason else {
                Issue.record("expected .invalidArgument, got \(String(describing: error))")
                return
            }
            #expect(text.contains("serve(with:)"))
            try await pair.close()
            await expectBack(to: baseline, on: loop)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func servingTwiceIsAnInvalidArgumentAndKeepsTheFirstHandler(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics
            let pair = try await ConnectedPair.make()
            let first = RecordingHandler { connection, bytes in try connection.send(bytes) }
            let second = RecordingHandler { _, _ in }
            try pair.server.serve(with: first)
            await expectTorusError(.read, .invalidArgument("the connection is already served")) {
                try pair.server.serve(with: second)
            }
            try await pair.client.write([7, 8])
            #expect(try await pair.client.read(exactly: 2) == [7, 8])
            #expect(second.heard.receivedCount == 0)
            try await pair.close()
            await expectBack(to: baseline, on: loop)
            #expect(first.heard.endings == [TorusError(.read, .closed)])
            #expect(second.heard.endings.isEmpty)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func servingOrSendingOffTheLoopIsNotOnLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics
            let pair = try await ConnectedPair.make()
            let handler = RecordingHandler { _, _ in }
            await expectTorusError(.read, .notOnLoop) { try await offLoop { try pair.server.serve(with: handler) } }
            try pair.server.serve(with: handler)
            await expectTorusError(.write, .notOnLoop) { try await offLoop { try Self.send([1], on: pair.server) } }
            try await pair.close()
            await expectBack(to: baseline, on: loop)
            #expect(handler.heard.endings == [TorusError(.read, .closed)])
        }
    }

    @Test(arguments: TestBackend.allCases)
    func sendAfterCloseWhenSentIsClosed(_ backend: TestBackend) async throws {
        let handler = RecordingHandler { _, _ in }
        try await withServedPair(backend, handler) { loop, pair, baseline in
            try Self.send([5, 6], on: pair.server)
            pair.server.closeWhenSent()
            pair.server.closeWhenSent()  // again: nothing more
            await expectTorusError(.write, .closed) { try Self.send([7], on: pair.server) }
            #expect(try await readToEnd(pair.client) == [5, 6])
            await expectBack(to: baseline, on: loop, openDescriptors: 1)
            #expect(handler.heard.endings == [TorusError(.read, .closed)])
        }
    }

    /// The documented error once the close has completed, too: `.closed`, not "not served".
    @Test(arguments: TestBackend.allCases)
    func sendAfterTheConnectionClosedIsClosed(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            try pair.server.serve(with: RecordingHandler { _, _ in })
            try await pair.server.close()
            await expectTorusError(.write, .closed) { try Self.send([1], on: pair.server) }
            try await pair.client.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func servingAClosedConnectionIsClosed(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics
            let pair = try await ConnectedPair.make()
            try await pair.close()
            let handler = RecordingHandler { _, _ in }
            await expectTorusError(.read, .closed) { try pair.server.serve(with: handler) }
            #expect(handler.heard.endings.isEmpty)
            await expectBack(to: baseline, on: loop)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func sendOnAnUnservedConnectionIsAnInvalidArgument(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics
            let pair = try await ConnectedPair.make()
            await expectTorusError(.write, .invalidArgument("send(_:) needs a connection served with serve(with:)")) {
                try Self.send([1], on: pair.server)
            }
            try await pair.close()
            await expectBack(to: baseline, on: loop)
        }
    }

    // MARK: Ends

    /// The peer resets the connection (SO_LINGER 0) while a large reply is queued: the
    /// handler hears the failure once, and the queued buffers go back.
    @Test(arguments: TestBackend.allCases)
    func aResetByThePeerEndsOnceAndLeaksNothing(_ backend: TestBackend) async throws {
        let reply = randomBytes(4 << 20, seed: 5)
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics
            let pair = try await makeNarrowPair()
            let handler = RecordingHandler { connection, _ in try reply.withUnsafeBytes { try connection.send($0) }
            }
            try pair.server.serve(with: handler)
            try await pair.client.write([1])
            #expect(await waitUntil(loop) { _ in handler.heard.receivedCount == 1 })
            try pair.client.setOption(.resetOnClose(true))
            try await pair.client.close()
            await expectBack(to: baseline, on: loop)
            let endings = handler.heard.endings
            #expect(endings.count == 1)
            if let error = endings.first ?? nil {
                #expect(error.errno == .connectionReset || error.errno == .brokenPipe, "a reset, not \(error)")
            }
            #expect(handler.heard.replyErrors.isEmpty)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func closingAnIdleServedConnectionEndsItWithClosed(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics
            let pair = try await ConnectedPair.make()
            let handler = RecordingHandler { _, _ in }
            try pair.server.serve(with: handler)
            #expect(await loop.statistics.operationSlotsInUse == baseline.operationSlotsInUse + 1, "one armed receive")
            let closer = Task(executorPreference: loop) { try await pair.server.close() }
            try await closer.value
            #expect(handler.heard.endings == [TorusError(.read, .closed)])
            #expect(try await readToEnd(pair.client).isEmpty)
            await expectBack(to: baseline, on: loop, openDescriptors: 1)
            try await pair.client.close()
            await expectBack(to: baseline, on: loop)
            #expect(handler.heard.endings.count == 1)
        }
    }

    /// A peer that sends 8 MiB and does not read: the echo stops receiving once its queue
    /// passes the high watermark (256 KiB, 16 buffers of 16 KiB), instead of queueing all
    /// it was sent; once the peer reads, receiving resumes and every byte comes back in
    /// order.
    @Test(arguments: TestBackend.allCases)
    func aPeerThatDoesNotReadIsHeldAtTheHighWatermark(_ backend: TestBackend) async throws {
        let message = randomBytes(8 << 20, seed: 9)
        let handler = EchoHandler { Issue.record("echo send failed: \($0)") }
        try await withServedPair(backend, handler, narrow: true) { loop, pair, _ in
            let writer = Task(executorPreference: loop) { try await pair.client.write(message) }
            try await loop.sleep(for: .milliseconds(500).scaled)  // the writer stalls meanwhile
            let lent = await loop.statistics.receiveBuffersLent
            try await loop.sleep(for: .milliseconds(200).scaled)
            let lentLater = await loop.statistics.receiveBuffersLent
            // The queue's 16 buffers, plus what arrived before the pause took effect (on
            // io_uring the multishot receive's CQEs completed by then: here up to about
            // 1 MiB, as the writer on the same ring keeps the socket full meanwhile),
            // not the 512 buffers of all the peer sent, and not growing.
            #expect(lent <= 128, "\(lent) buffers held by the queue")
            #expect(lentLater <= lent, "the queue grew from \(lent) to \(lentLater) buffers while paused")
            var echoed: [UInt8] = []
            while echoed.count < message.count {
                let chunk = try await pair.client.read(upTo: 64 << 10, timeout: .seconds(10))
                if chunk.isEmpty { break }
                echoed += chunk
            }
            try await writer.value
            expectSameBytes(echoed, message)
        }
    }

    /// Watermarks that cannot work (low not below high, or negative) fail the loop's
    /// creation, naming both.
    @Test(arguments: [(64, 64), (100, 10), (-1, 10)])
    func badSendQueueWatermarksFailTheLoop(low: Int, high: Int) async throws {
        var configuration = TestBackend.epoll.configuration
        configuration.sendQueueLowWatermark = low
        configuration.sendQueueHighWatermark = high
        let message = "send queue watermarks must satisfy 0 <= low < high, got low \(low), high \(high)"
        await expectTorusError(.eventLoop, .invalidArgument(message)) { try EventLoop(configuration: configuration) }
    }

    /// Closed while 4 MiB wait to be sent: the sends are cancelled, their buffers go back,
    /// and the handler hears `.closed` once.
    @Test(arguments: TestBackend.allCases)
    func closingWithSendsQueuedGivesTheirBuffersBack(_ backend: TestBackend) async throws {
        let reply = randomBytes(4 << 20, seed: 6)
        let handler = RecordingHandler { connection, _ in try reply.withUnsafeBytes { try connection.send($0) } }
        try await withServedPair(backend, handler, narrow: true) { loop, pair, baseline in
            try await pair.client.write([1])
            #expect(await waitUntil(loop) { _ in handler.heard.receivedCount == 1 })
            #expect(await loop.statistics.receiveBuffersLent > 0)
            try await pair.server.close()
            let endings = handler.heard.endings
            #expect(endings.count == 1 && endings.first??.reason == .closed, "\(endings)")
            await expectBack(to: baseline, on: loop, openDescriptors: 1)
        }
    }

    /// Shutting the loop down under served connections (idle ones, and one with a large
    /// reply queued): each handler hears `.loopShutDown` once, and shutdown returns.
    @Test(arguments: TestBackend.allCases)
    func loopShutdownEndsServedConnections(_ backend: TestBackend) async throws {
        let reply = randomBytes(4 << 20, seed: 7)
        try await withDescriptorGate {
            let loop = try backend.makeLoop()
            let (handlers, clients) = try await loop.run {
                var handlers: [RecordingHandler] = []
                var clients: [TCPConnection] = []
                for index in 0..<4 {
                    let pair = try await makeNarrowPair()
                    let handler = RecordingHandler { connection, _ in
                        if index == 0 { try reply.withUnsafeBytes { try connection.send($0) } }
                    }
                    try pair.server.serve(with: handler)
                    handlers.append(handler)
                    clients.append(pair.client)
                }
                try await clients[0].write([1])
                let busy = handlers[0]
                #expect(await waitUntil(loop) { _ in busy.heard.receivedCount == 1 })
                return (handlers, clients)
            }
            await loop.shutdown()
            for handler in handlers {
                let endings = handler.heard.endings
                #expect(endings.count == 1 && endings.first??.reason == .loopShutDown, "\(endings)")
            }
            withExtendedLifetime(clients) {}
        }
    }

    // MARK: Helpers

    /// Sends `bytes` on a served connection.
    private static func send(_ bytes: [UInt8], on connection: TCPConnection) throws {
        try bytes.withUnsafeBytes { try connection.send($0) }
    }
}

/// Expects `received` to equal `expected`; names the first difference, not the bytes.
func expectSameBytes(
    _ received: [UInt8], _ expected: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
) {
    guard !bytesEqual(received, expected) else { return }
    let first =
        zip(received.indices, zip(received, expected)).first { $1.0 != $1.1 }?.0 ?? min(received.count, expected.count)
    Issue.record(
        "received \(received.count) bytes, expected \(expected.count); first difference at \(first)",
        sourceLocation: sourceLocation)
}

/// A connected pair with small socket buffers, so a large reply cannot all fit in the
/// kernel and waits in the stream's queue while the client does not read: the client
/// receives through 16 KiB (set on the listener, so the handshake advertises it; set after
/// it, the sender overruns the shrunken buffer and backs off for seconds), the server
/// sends through 16 KiB. The server is the end that connected, unless `serverAccepts`
/// (then the accepted end is the server: it receives through 16 KiB, and what a receive
/// can complete after a pause is bounded by that rather than by autotuning).
func makeNarrowPair(serverAccepts: Bool = false) async throws -> ConnectedPair {
    let listener = try TCPListener.bind(to: .loopbackV4)
    do {
        var size: Int32 = 16 << 10
        let fd = try listener.acceptor.listener.usableFD(for: .socketOption)
        guard setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SystemCallError("setsockopt")
        }
        let connected = try await TCPConnection.connect(to: listener.localAddress)
        let accepted = try #require(try await listener.accept())
        let (server, client) = serverAccepts ? (accepted, connected) : (connected, accepted)
        try await listener.close()
        try server.setOption(.sendBufferSize(16 << 10))
        return ConnectedPair(client: client, server: server)
    } catch {
        try? await listener.close()
        throw error
    }
}

/// `count` narrow pairs (``makeNarrowPair(serverAccepts:)``), each server end served by
/// an echoing ``RecordingHandler``.
func makeNarrowEchoes(_ count: Int) async throws -> ([ConnectedPair], [RecordingHandler]) {
    var pairs: [ConnectedPair] = []
    var handlers: [RecordingHandler] = []
    for _ in 0..<count {
        let pair = try await makeNarrowPair()
        let handler = RecordingHandler { connection, bytes in try connection.send(bytes) }
        try pair.server.serve(with: handler)
        pairs.append(pair)
        handlers.append(handler)
    }
    return (pairs, handlers)
}

/// Runs `body` on a loop of `backend` with a connected pair whose server end `handler`
/// serves (`narrow`: through small socket buffers, ``makeNarrowPair()``), then closes
/// the client and expects the loop back to `baseline` (its statistics before the pair):
/// no slot, buffer or descriptor left.
func withServedPair(
    _ backend: TestBackend, _ handler: some ConnectionHandler & Sendable, narrow: Bool = false,
    _ body: @escaping @Sendable (EventLoop, ConnectedPair, _ baseline: LoopStatistics) async throws -> Void
) async throws {
    try await withTestLoop(backend) { loop in
        let baseline = await loop.statistics
        let pair = try await narrow ? makeNarrowPair() : ConnectedPair.make()
        try pair.server.serve(with: handler)
        try await body(loop, pair, baseline)
        try await pair.client.close()
        await expectBack(to: baseline, on: loop)
    }
}

/// Reads until end of stream.
func readToEnd(_ connection: TCPConnection) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    while true {
        let chunk = try await connection.read(upTo: 64 << 10, timeout: .seconds(10))
        if chunk.isEmpty { return bytes }
        bytes += chunk
    }
}

/// Records what it hears, replies with `reply`, and closes the connection when receiving
/// stops, as the default does.
final class RecordingHandler: ConnectionHandler, Sendable {
    struct Heard: Sendable {
        var chunks: [[UInt8]] = []
        var receivedCount = 0
        var endings: [TorusError?] = []
        var replyErrors: [String] = []
    }

    typealias Reply = @Sendable (TCPConnection, UnsafeRawBufferPointer) throws -> Void

    private let reply: Reply
    private let state = Mutex(Heard())

    init(reply: @escaping Reply) { self.reply = reply }

    /// What it heard so far.
    var heard: Heard { state.withTSanVisibleLock { $0 } }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        #expect(connection.loop.isCurrent)
        state.withTSanVisibleLock {
            $0.chunks.append(Array(bytes))
            $0.receivedCount += bytes.count
        }
        do {
            try reply(connection, bytes)
        } catch {
            state.withTSanVisibleLock { $0.replyErrors.append("\(error)") }
            Issue.record("reply failed: \(error)")
        }
    }

    func connectionEnded(_ connection: TCPConnection, error: TorusError?) {
        #expect(connection.loop.isCurrent)
        state.withTSanVisibleLock { $0.endings.append(error) }
        connection.closeWhenSent()
    }
}
