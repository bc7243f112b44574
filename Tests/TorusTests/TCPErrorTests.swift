import Glibc
import Testing

@testable import Torus

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct TCPErrorTests {
    @Test(arguments: TestBackend.allCases)
    func resetByPeerSurfacesAsConnectionReset(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            // SO_LINGER {1, 0}: close sends a RST instead of a FIN.
            try pair.server.setOption(.resetOnClose(true))
            try await pair.server.close()
            await expectTorusError(.read, .system(.connectionReset)) {
                try await pair.client.read(upTo: 64, timeout: .seconds(10))
            }
            try await pair.client.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func resetWhileAReadIsPendingSurfacesAsConnectionReset(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let reader = Task(executorPreference: loop) { try await pair.client.read(upTo: 64) }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 1 })
            try pair.server.setOption(.resetOnClose(true))
            try await pair.server.close()
            await #expect(throws: TorusError(.read, .system(.connectionReset))) { try await reader.value }
            try await pair.client.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func resetByAPlainSocketPeer(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let listener = try TCPListener.bind(to: .loopbackV4)
            let peer = try #require(RawSocket())
            try peer.connect(listener.localAddress)
            let connection = try #require(try await listener.accept())
            try await listener.close()
            try await connection.write([1, 2, 3])
            // The peer reads on a background thread, then resets the connection.
            let received = try await offLoop {
                let bytes = try peer.read(exactly: 3)
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(
                    peer.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                peer.close()
                return bytes
            }
            #expect(received == [1, 2, 3])
            await expectTorusError(.read, .system(.connectionReset)) {
                try await connection.read(upTo: 64, timeout: .seconds(10))
            }
            try await connection.close()
        }
    }

    /// Writing to a peer that has closed fails with EPIPE or ECONNRESET, never SIGPIPE:
    /// SIGPIPE's default action would end the test process.
    @Test(arguments: TestBackend.allCases)
    func writeAfterThePeerClosedThrowsBrokenPipe(_ backend: TestBackend) async throws {
        var action = sigaction()
        sigaction(SIGPIPE, nil, &action)
        #expect(
            action.__sigaction_handler.sa_handler == nil, "SIGPIPE is not at its default (fatal) action")
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            try await pair.server.close()
            // The first writes may land in the socket buffer before the peer's RST;
            // bounded at 1,000 writes of 64 KiB.
            let chunk = randomBytes(64 << 10, seed: 3)
            var error: TorusError?
            for _ in 0..<1000 {
                do {
                    try await pair.client.write(chunk, timeout: .seconds(10))
                } catch let caught as TorusError {
                    error = caught
                    break
                }
            }
            let thrown = try #require(error, "no write failed after the peer closed")
            #expect(thrown.operation == .write)
            #expect(thrown.reason == .system(.brokenPipe) || thrown.reason == .system(.connectionReset))
            // Once broken, it stays broken, and reading reports the end or the reset.
            await expectTorusError(.write, .system(.brokenPipe)) { try await pair.client.write([1]) }
            try await pair.client.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aNonPositiveAcceptBackoffIsAnInvalidArgument(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            var options = TCPListener.Options()
            options.acceptBackoff = .zero
            await expectTorusError(.listen, .invalidArgument("acceptBackoff must be positive, got 0.0 seconds")) {
                try TCPListener.bind(to: .loopbackV4, options: options)
            }
        }
    }
}

/// Runs alone (it holds the descriptor gate exclusively): it lowers the process-wide
/// open-file limit, which would fail any test opening a descriptor meanwhile.
@Suite(.serialized, .descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct OpenFileLimitTests {
    /// At the open-file limit a waiting accept keeps waiting (a `for try await` loop over
    /// `connections` would otherwise end), retrying after each back-off rather than
    /// spinning, and takes the queued connection once a descriptor is free.
    @Test(arguments: TestBackend.allCases)
    func acceptAtTheOpenFileLimitWaitsAndRecovers(_ backend: TestBackend) async throws {
        try await withTestLoop(backend, access: .exclusive) { loop in
            // Read under the gate: another suite's test may have lowered it until then.
            let limitBefore = openFileLimit()
            var options = TCPListener.Options()
            options.acceptBackoff = .milliseconds(50)
            let listener = try TCPListener.bind(to: .loopbackV4, options: options)
            // Created before the limit drops; connecting needs no new descriptor.
            let client = try #require(RawSocket())
            defer { client.close() }
            let pending = Task(executorPreference: loop) { try await listener.accept() }
            let work = try await withOpenFileSoftLimit(rlim_t(lowestFreeDescriptor())) {
                try client.connect(listener.localAddress)  // completes in the kernel backlog
                let before = await loop.statistics
                try await loop.sleep(for: .milliseconds(500))
                let after = await loop.statistics
                return (
                    syscalls: after.systemCalls - before.systemCalls,
                    submitted: after.operationsSubmitted - before.operationsSubmitted
                )
            }
            #expect(openFileLimit() == limitBefore)
            // 500 ms at a 50 ms back-off is about ten tries (each a wait and an accept
            // on epoll, one SQE on io_uring), not a spin of thousands.
            #expect(work.syscalls <= 60 && work.submitted <= 30, "\(work)")
            // The limit restored, the same accept returns the client that waited in the
            // backlog, then the listener accepts a new one.
            let first = try #require(try await pending.value)
            #expect(try first.remoteAddress == (try SocketAddress.query(client.fd, getsockname)))
            try await first.write([1, 2, 3])
            #expect(try await offLoop { try client.read(exactly: 3) } == [1, 2, 3])
            let second = try await TCPConnection.connect(to: listener.localAddress)
            let secondServer = try #require(try await listener.accept())
            try await second.write([4])
            #expect(try await secondServer.read(exactly: 1) == [4])
            for connection in [first, second, secondServer] { try await connection.close() }
            try await listener.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func theLimitIsRestoredWhenTheBodyThrows(_ backend: TestBackend) async throws {
        struct Failure: Error, Equatable {}
        try await withDescriptorGate(.exclusive) {
            // Read under the gate: another suite's test may have lowered it until then.
            let limitBefore = openFileLimit()
            await #expect(throws: Failure()) {
                try await withOpenFileSoftLimit(limitBefore.soft - 1) {
                    #expect(openFileLimit().soft == limitBefore.soft - 1)
                    throw Failure()
                }
            }
            #expect(openFileLimit() == limitBefore)
        }
    }
}
