import Glibc
import Synchronization
import Testing

@testable import Torus

/// What a new user may rely on at the edges of a connection's life, the same on both
/// reactors: a handler need not close, close interrupts a read with `.closed`, a served
/// connection refuses the async calls, and shutting down after a reset is quiet.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct ConnectionContractTests {
    /// Logs the end and nothing else: no `closeWhenSent()`, no call to the default.
    private final class LoggingHandler: ConnectionHandler, Sendable {
        let ended = Mutex(0)
        func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
            try? connection.send(bytes)
        }
        func connectionEnded(_ connection: TCPConnection, error: TorusError?) {
            ended.withTSanVisibleLock { $0 += 1 }
        }
    }

    /// A handler whose `connectionEnded` only logs still gets its connection closed: the
    /// descriptor goes back (the leak check of `withServedPair`), and the peer reads the
    /// echo and then end of stream.
    @Test(arguments: TestBackend.allCases)
    func aHandlerThatOnlyLogsTheEndStillClosesItsConnection(_ backend: TestBackend) async throws {
        let handler = LoggingHandler()
        try await withServedPair(backend, handler) { loop, pair, baseline in
            try await pair.client.write([1, 2, 3])
            try pair.client.shutdown(.write)
            #expect(try await readToEnd(pair.client) == [1, 2, 3])
            #expect(await waitUntil(loop) { $0.descriptorsOwned == baseline.descriptorsOwned + 1 })
            #expect(handler.ended.withTSanVisibleLock { $0 } == 1)
        }
    }

    /// `close()` while another task waits in a read ends that read with `.closed`, not
    /// with end of stream (which would say the peer closed).
    @Test(arguments: TestBackend.allCases)
    func closingDuringAReadEndsItWithClosed(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let reader = Task(executorPreference: loop) { try await pair.server.read(upTo: 16) }
            let pooled = Task(executorPreference: loop) { try await pair.server.receive { $0.count } }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse >= 2 })
            try await pair.server.close()
            await #expect(throws: TorusError(.read, .closed)) { try await reader.value }
            await #expect(throws: TorusError(.read, .closed)) { try await pooled.value }
            try await pair.client.close()
        }
    }

    /// A served connection belongs to its handler: the async read, receive and write
    /// throw `.invalidArgument` at once on both reactors, and the handler keeps serving.
    @Test(arguments: TestBackend.allCases)
    func theAsyncCallsOnAServedConnectionAreRefused(_ backend: TestBackend) async throws {
        try await withServedPair(backend, LoggingHandler()) { _, pair, _ in
            let served = TorusError.Reason.invalidArgument("the connection is served by a handler")
            await expectTorusError(.read, served) { try await pair.server.read(upTo: 16) }
            await expectTorusError(.read, served) { try await pair.server.receive { $0.count } }
            await expectTorusError(.write, served) { try await pair.server.write([1]) }
            try await pair.client.write([7])
            #expect(try await pair.client.read(exactly: 1) == [7])
        }
    }

    /// `hasPendingInput()` peeks: false on a quiet connection, true once bytes or the
    /// peer's end of stream wait, and the bytes are still there for the next read.
    @Test(arguments: TestBackend.allCases)
    func hasPendingInputPeeksWithoutConsuming(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            #expect(try !pair.server.hasPendingInput())
            try await pair.client.write([1, 2])
            #expect(await waitUntil(loop) { _ in (try? pair.server.hasPendingInput()) == true })
            #expect(try await pair.server.read(exactly: 2) == [1, 2], "nothing was consumed")
            #expect(try !pair.server.hasPendingInput())
            try pair.client.shutdown(.write)
            #expect(await waitUntil(loop) { _ in (try? pair.server.hasPendingInput()) == true }, "end of stream")
            try await pair.close()
            await expectTorusError(.read, .closed) { try pair.server.hasPendingInput() }
        }
    }

    /// Shutting down the write side after the peer reset the connection succeeds: there
    /// is nothing left to shut down (the kernel says ENOTCONN).
    @Test(arguments: TestBackend.allCases)
    func shutdownAfterAPeerResetIsQuiet(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            try pair.client.setOption(.resetOnClose(true))
            try await pair.client.close()  // a reset, with SO_LINGER 0
            _ = try? await pair.server.read(upTo: 16)  // sees the reset
            try pair.server.shutdown(.write)
            try pair.server.shutdown(.both)
            try await pair.server.close()
        }
    }
}
