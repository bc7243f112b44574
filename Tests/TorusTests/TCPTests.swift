import Glibc
import Testing

@testable import Torus

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct TCPTests {
    // MARK: Listener

    @Test(arguments: TestBackend.allCases)
    func bindToPortZeroGetsARealPort(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            #expect(listener.loop === loop)
            #expect(listener.localAddress.port != 0)
            #expect(listener.localAddress.ip == "127.0.0.1")
            #expect(listener.localAddress.family == AF_INET)
            #expect(await loop.statistics.descriptorsOwned == 1)
            try await listener.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func bindingAPortInUseThrowsAddressInUse(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            // SO_REUSEADDR is on by default; a port still *listening* is in use regardless.
            let first = try TCPListener.bind(to: .loopbackV4)
            await expectTorusError(.bind, .system(.addressInUse)) {
                try TCPListener.bind(to: first.localAddress)
            }
            var noReuse = TCPListener.Options()
            noReuse.reuseAddress = false
            await expectTorusError(.bind, .system(.addressInUse)) {
                try TCPListener.bind(to: first.localAddress, options: noReuse)
            }
            try await first.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func reusePortLetsTwoListenersShareAPort(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            var options = TCPListener.Options()
            options.reusePort = true
            let first = try TCPListener.bind(to: .loopbackV4, options: options)
            let second = try TCPListener.bind(to: first.localAddress, options: options)
            #expect(second.localAddress == first.localAddress)
            try await first.close()
            try await second.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func negativeBacklogIsAnInvalidArgument(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            var options = TCPListener.Options()
            options.backlog = -1
            let error = await torusError { try TCPListener.bind(to: .loopbackV4, options: options) }
            #expect(error?.operation == .listen)
            guard case .invalidArgument(let text) = error?.reason else {
                Issue.record("expected .invalidArgument, got \(String(describing: error))")
                return
            }
            #expect(text.contains("-1"))
        }
    }

    @Test(arguments: TestBackend.allCases)
    func acceptReturnsConnectionsAndNilAfterClose(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            // A pending accept() is ended by close(): it returns nil.
            let pending = Task(executorPreference: loop) { try await listener.accept() }
            let client = try await TCPConnection.connect(to: listener.localAddress)
            let server = try #require(try await pending.value)
            #expect(try server.remoteAddress == client.localAddress)
            let waiting = Task(executorPreference: loop) { try await listener.accept() }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 2 })  // multishot + waiter
            try await listener.close()
            #expect(try await waiting.value == nil)
            #expect(try await listener.accept() == nil)
            await expectTorusError(.close, .closed) { try await listener.close() }
            try await client.close()
            try await server.close()
        }
    }

    /// Two closes at once, as when a server stopped from outside closes its listener and
    /// its accept loop, ended by that, closes it too (TorusHTTP's `HTTPServer` does): the
    /// close that started first closes it, the later one throws `.closed`. (On io_uring the
    /// first waits for the multishot accept's last completion; the later one used to close
    /// the socket meanwhile, and the first then threw `.closed`: seen in `torus-bench
    /// soak` as a server failing to stop.)
    @Test(arguments: TestBackend.allCases)
    func aCloseDuringAnotherLeavesTheErrorToTheLaterOne(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            let acceptLoop = Task(executorPreference: loop) {
                while try await listener.accept() != nil {}
                return await torusError { try await listener.close() }
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 2 })  // multishot + waiter
            try await listener.close()
            let later = try await acceptLoop.value
            #expect(later == TorusError(.close, .closed))
        }
    }

    @Test(arguments: TestBackend.allCases)
    func connectionsSequenceYieldsEveryClient(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            let clientCount = 5
            let clients = Task(executorPreference: loop) {
                var clients: [TCPConnection] = []
                for index in 0..<clientCount {
                    let client = try await TCPConnection.connect(to: listener.localAddress)
                    try await client.write([UInt8(index)])
                    clients.append(client)
                }
                return clients
            }
            var greetings: [UInt8] = []
            var accepted: [TCPConnection] = []
            for try await connection in listener.connections {
                greetings += try await connection.read(exactly: 1)
                accepted.append(connection)
                if accepted.count == clientCount { break }
            }
            #expect(greetings == [0, 1, 2, 3, 4])
            try await listener.close()
            for connection in try await clients.value + accepted { try await connection.close() }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func closingAListenerClosesConnectionsNobodyTook(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            let first = try await TCPConnection.connect(to: listener.localAddress)
            let second = try await TCPConnection.connect(to: listener.localAddress)
            // Accepting one arms the multishot accept, which also takes the second.
            let taken = try #require(try await listener.accept())
            #expect(await waitUntil(loop) { $0.descriptorsOwned == 5 })
            try await listener.close()
            // The connection accepted ahead of demand was closed: its client sees EOF.
            #expect(try await second.read(upTo: 8, timeout: .seconds(10)) == [])
            for connection in [first, second, taken] { try await connection.close() }
        }
    }

    @Test(
        arguments: TestBackend.allCases)
    func concurrentAcceptsEachGetAConnection(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            let returned = LoopConfined(0, on: loop)
            let acceptors = (0..<2).map { _ in
                Task(executorPreference: loop) {
                    let connection = try await listener.accept()
                    returned.value += 1
                    return connection
                }
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 3 })  // multishot + 2 waiters
            let clients = [
                try await TCPConnection.connect(to: listener.localAddress),
                try await TCPConnection.connect(to: listener.localAddress),
            ]
            // Bounded wait (10 s) for both; a waiter left behind is cancelled below.
            for _ in 0..<1000 where returned.value < 2 { try await loop.sleep(for: .milliseconds(10)) }
            #expect(returned.value == 2, "only \(returned.value) of 2 concurrent accept() calls returned")
            for acceptor in acceptors { acceptor.cancel() }
            var accepted: [TCPConnection] = []
            for acceptor in acceptors {
                if let connection = try? await acceptor.value { accepted += [connection].compactMap { $0 } }
            }
            try await listener.close()
            for connection in clients + accepted { try await connection.close() }
        }
    }

    @Test(
        arguments: TestBackend.allCases)
    func droppedListenersStopListening(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            var listener: TCPListener? = try TCPListener.bind(to: .loopbackV4)
            let address = try #require(listener?.localAddress)
            // One accept arms the listener's multishot accept.
            let client = try await TCPConnection.connect(to: address)
            let server = try #require(try await listener?.accept())
            try await client.close()
            try await server.close()
            listener = nil  // dropped without close(): its loop closes it
            let settled = await waitUntil(loop) { $0.descriptorsOwned == 0 && $0.operationSlotsInUse == 0 }
            let statistics = await loop.statistics
            #expect(settled, "the dropped listener still holds: \(statistics)")
            await expectTorusError(.connect, .system(.connectionRefused)) {
                try await TCPConnection.connect(to: address, timeout: .seconds(10)).close()
            }
        }
    }

    // MARK: Connect

    @Test(arguments: TestBackend.allCases)
    func connectOverIPv4(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            try await echoOnce(listeningOn: .loopbackV4) { try await TCPConnection.connect(to: $0) }
        }
    }

    @Test(
        .enabled(if: ipv6LoopbackAvailable, "::1 cannot be bound here"), arguments: TestBackend.allCases)
    func connectOverIPv6(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            try await echoOnce(listeningOn: .loopbackV6) { address in
                #expect(address.family == AF_INET6)
                #expect(address.ip == "::1")
                return try await TCPConnection.connect(to: address)
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func connectByHostName(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            // If localhost also resolves to ::1, that attempt is refused and the next
            // address is tried; either way the connection reaches 127.0.0.1.
            try await echoOnce(listeningOn: .loopbackV4) { address in
                try await TCPConnection.connect(host: "localhost", port: address.port)
            }
            // A numeric host skips the resolver.
            try await echoOnce(listeningOn: .loopbackV4) { address in
                try await TCPConnection.connect(host: "127.0.0.1", port: address.port)
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func connectWithAPortOutOfRangeIsAnInvalidArgument(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            for port in [-1, 65536] {
                let error = await torusError {
                    try await TCPConnection.connect(host: "localhost", port: port)
                }
                #expect(error?.operation == .resolve)
                guard case .invalidArgument = error?.reason else {
                    Issue.record("expected .invalidArgument, got \(String(describing: error))")
                    continue
                }
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func connectRefused(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            // A bound socket that does not listen: connecting to it is refused, and the
            // port cannot be taken by another test while it stays open.
            let closedPort = try #require(RawSocket())
            defer { closedPort.close() }
            let address = try closedPort.bind(.loopbackV4)
            await expectTorusError(.connect, .system(.connectionRefused)) {
                try await TCPConnection.connect(to: address)
            }
            await expectTorusError(.connect, .system(.connectionRefused)) {
                try await TCPConnection.connect(host: "localhost", port: address.port)
            }
            await expectTorusError(.connect, .system(.connectionRefused)) {
                try await TCPConnection.connect(to: address, timeout: .seconds(10))
            }
        }
    }

    @Test(
        .enabled(if: ipv6LoopbackAvailable, "::1 cannot be bound here"), arguments: TestBackend.allCases)
    func connectRefusedOverIPv6(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let closedPort = try #require(RawSocket(family: AF_INET6))
            defer { closedPort.close() }
            let address = try closedPort.bind(.loopbackV6)
            await expectTorusError(.connect, .system(.connectionRefused)) {
                try await TCPConnection.connect(to: address)
            }
        }
    }

    // MARK: Reading and writing

    @Test(arguments: TestBackend.allCases)
    func readIntoABufferAndUpTo(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            let message = randomBytes(1000, seed: 1)
            try await pair.client.write(message)
            // read(into:) returns the count it filled, never more than the buffer.
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 100, alignment: 1)
            defer { buffer.deallocate() }
            let count = try await pair.server.read(into: buffer)
            #expect(count > 0 && count <= 100)
            #expect(Array(buffer.prefix(count)) == Array(message.prefix(count)))
            // read(upTo:) returns at most maxBytes, and the stream continues where it was.
            let rest = try await pair.server.read(exactly: message.count - count)
            #expect(rest == Array(message[count...]))
            try await pair.server.write(message.reversed())
            let small = try await pair.client.read(upTo: 1)
            #expect(small == [message.last!])
            #expect(try await pair.client.read(exactly: 999) == Array(message.reversed().dropFirst()))
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func endOfStreamIsZeroBytesNotAnError(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            try await pair.server.write([1, 2, 3])
            try await pair.server.close()
            #expect(try await pair.client.read(exactly: 3) == [1, 2, 3])
            #expect(try await pair.client.read(upTo: 10) == [])
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 1)
            defer { buffer.deallocate() }
            #expect(try await pair.client.read(into: buffer) == 0)
            #expect(try await pair.client.read(into: buffer) == 0)  // and it stays so
            try await pair.client.close()
        }
    }

    /// A short read leaves the descriptor drained (epoll then waits for an edge before
    /// the next `recv`): data that arrives later, and an end of stream that arrived with
    /// the data the short read took, must both still be seen.
    @Test(arguments: TestBackend.allCases)
    func readsAfterAShortReadSeeLaterBytesAndEndOfStream(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 1)
            defer { buffer.deallocate() }
            try await pair.server.write([1, 2, 3])
            #expect(try await pair.client.read(into: buffer, timeout: .seconds(5)) == 3)
            #expect(Array(buffer.prefix(3)) == [1, 2, 3])
            // The reader waits (nothing queued); the bytes written meanwhile wake it.
            let reader = Task(executorPreference: loop) { try await pair.client.read(upTo: 16, timeout: .seconds(5)) }
            try await loop.sleep(for: .milliseconds(20))
            try await pair.server.write([4, 5])
            #expect(try await reader.value == [4, 5])
            // Bytes and the peer's FIN queued together: a short read, then end of stream.
            try await pair.server.write([6, 7, 8])
            try await pair.server.close()
            try await loop.sleep(for: .milliseconds(20))
            #expect(try await pair.client.read(into: buffer, timeout: .seconds(5)) == 3)
            #expect(Array(buffer.prefix(3)) == [6, 7, 8])
            #expect(try await pair.client.read(into: buffer, timeout: .seconds(5)) == 0)
            try await pair.client.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func writeSendsEveryByte(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            // Larger than the socket buffers: the write completes only through partial sends.
            let payload = randomBytes(8 << 20, seed: 2)
            let reader = Task(executorPreference: loop) {
                try await pair.server.read(exactly: payload.count)
            }
            try await pair.client.write(payload)
            let received = try await reader.value
            #expect(received.count == payload.count)
            #expect(bytesEqual(received, payload))
            // Raw-buffer and empty writes.
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
            defer { chunk.deallocate() }
            chunk.copyBytes(from: payload.prefix(4096))
            try await pair.client.write(UnsafeRawBufferPointer(chunk))
            try await pair.client.write([UInt8]())
            #expect(try await pair.server.read(exactly: 4096) == Array(payload.prefix(4096)))
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func shutdownWriteMakesThePeerReadEndOfStream(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            try await pair.client.write([7, 8, 9])
            try pair.client.shutdown(.write)
            #expect(try await pair.server.read(exactly: 3) == [7, 8, 9])
            #expect(try await pair.server.read(upTo: 8) == [])
            // The other direction still works.
            try await pair.server.write([10, 11])
            #expect(try await pair.client.read(exactly: 2) == [10, 11])
            // Writing after shutting down writes is EPIPE (and no SIGPIPE).
            await expectTorusError(.write, .system(.brokenPipe)) { try await pair.client.write([1]) }
            // Shutting down reads makes further reads end of stream at once.
            try pair.client.shutdown(.read)
            #expect(try await pair.client.read(upTo: 8) == [])
            try pair.server.shutdown(.both)
            #expect(try await pair.server.read(upTo: 8) == [])
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func closeIsFinalAndUseAfterCloseThrowsClosed(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            try await pair.client.close()
            #expect(try await pair.server.read(upTo: 8) == [])
            await expectTorusError(.read, .closed) { try await pair.client.read(upTo: 8) }
            await expectTorusError(.write, .closed) { try await pair.client.write([1]) }
            await expectTorusError(.close, .closed) { try await pair.client.close() }
            await expectTorusError(.shutdown, .closed) { try pair.client.shutdown() }
            await expectTorusError(.socketOption, .closed) { try pair.client.setOption(.noDelay(true)) }
            await expectTorusError(.address, .closed) { try pair.client.localAddress }
            await expectTorusError(.address, .closed) { try pair.client.remoteAddress }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
            defer { buffer.deallocate() }
            await expectTorusError(.read, .closed) { try await pair.client.read(into: buffer) }
            try await pair.server.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func readUpToANonPositiveCountIsAnInvalidArgument(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            for maxBytes in [-1, 0] {
                let error = await torusError { try await pair.client.read(upTo: maxBytes) }
                #expect(error?.operation == .read)
                guard case .invalidArgument(let text) = error?.reason else {
                    Issue.record("expected .invalidArgument, got \(String(describing: error))")
                    continue
                }
                #expect(text.contains("\(maxBytes)"))
            }
            // The connection is unaffected.
            try await pair.server.write([42])
            #expect(try await pair.client.read(upTo: 1) == [42])
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func droppedConnectionsAreClosedByTheirLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            var client: TCPConnection? = try await TCPConnection.connect(to: listener.localAddress)
            let server = try #require(try await listener.accept())
            try await listener.close()
            #expect(client != nil)
            client = nil  // dropped without close()
            #expect(try await server.read(upTo: 8, timeout: .seconds(10)) == [])
            try await server.close()
            #expect(await waitUntil(loop) { $0.descriptorsOwned == 0 })
        }
    }

    // MARK: Options and addresses

    @Test(arguments: TestBackend.allCases)
    func socketOptionsTakeEffect(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            let client = pair.client
            try client.setOption(.noDelay(true))
            #expect(try client.intOption(Int32(IPPROTO_TCP), TCP_NODELAY) != 0)
            try client.setOption(.noDelay(false))
            #expect(try client.intOption(Int32(IPPROTO_TCP), TCP_NODELAY) == 0)
            try client.setOption(.keepAlive(true))
            #expect(try client.intOption(SOL_SOCKET, SO_KEEPALIVE) != 0)
            // The kernel doubles buffer sizes for its bookkeeping.
            try client.setOption(.receiveBufferSize(64 << 10))
            #expect(try client.intOption(SOL_SOCKET, SO_RCVBUF) == 128 << 10)
            try client.setOption(.sendBufferSize(96 << 10))
            #expect(try client.intOption(SOL_SOCKET, SO_SNDBUF) == 192 << 10)
            try client.setOption(.reuseAddress(true))
            #expect(try client.intOption(SOL_SOCKET, SO_REUSEADDR) != 0)
            try client.setOption(.reusePort(true))
            #expect(try client.intOption(SOL_SOCKET, SO_REUSEPORT) != 0)
            // Data still flows with small buffers and Nagle off.
            try client.setOption(.noDelay(true))
            try await client.write([1, 2, 3])
            #expect(try await pair.server.read(exactly: 3) == [1, 2, 3])
            try await pair.close()
        }
    }

    /// `.resetOnClose(true)`: the peer sees the connection reset (ECONNRESET), not an end
    /// of stream; `.resetOnClose(false)` takes it back, and the peer reads a clean end.
    @Test(arguments: TestBackend.allCases)
    func resetOnCloseResetsThePeer(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let reset = try await ConnectedPair.make()
            try reset.client.setOption(.resetOnClose(true))
            try await reset.client.close()
            let error = await torusError { _ = try await reset.server.read(upTo: 16, timeout: .seconds(5)) }
            #expect(error?.reason == .system(.connectionReset))
            try await reset.server.close()

            let clean = try await ConnectedPair.make()
            try clean.client.setOption(.resetOnClose(true))
            try clean.client.setOption(.resetOnClose(false))
            try await clean.client.write([7])
            try await clean.client.close()
            #expect(try await clean.server.read(exactly: 1) == [7])
            #expect(try await clean.server.read(upTo: 16, timeout: .seconds(5)).isEmpty)
            try await clean.server.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func outOfRangeSocketOptionsAreInvalidArguments(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            for option in [SocketOption.receiveBufferSize(-1), .sendBufferSize(Int(Int32.max) + 1)] {
                let error = await torusError { try pair.client.setOption(option) }
                #expect(error?.operation == .socketOption)
                guard case .invalidArgument = error?.reason else {
                    Issue.record("\(option): expected .invalidArgument, got \(String(describing: error))")
                    continue
                }
            }
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func localAndRemoteAddressesMatch(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let listener = try TCPListener.bind(to: .loopbackV4)
            let client = try await TCPConnection.connect(to: listener.localAddress)
            let server = try #require(try await listener.accept())
            #expect(try client.remoteAddress == listener.localAddress)
            #expect(try server.localAddress == listener.localAddress)
            #expect(try server.remoteAddress == client.localAddress)
            #expect(try client.localAddress.ip == "127.0.0.1")
            #expect(try client.localAddress.port != listener.localAddress.port)
            for connection in [client, server] { try await connection.close() }
            try await listener.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func synchronousCallsOffTheLoopThrowNotOnLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let client = pair.client
            try await offLoop {
                await expectTorusError(.socketOption, .notOnLoop) { try client.setOption(.noDelay(true)) }
                await expectTorusError(.shutdown, .notOnLoop) { try client.shutdown(.write) }
                await expectTorusError(.address, .notOnLoop) { try client.localAddress }
                await expectTorusError(.address, .notOnLoop) { try client.remoteAddress }
                await expectTorusError(.bind, .notOnLoop) {
                    try TCPListener.bind(to: .loopbackV4, on: loop)
                }
                // Without a loop to name, calls off every loop have none to use.
                await expectTorusError(.bind, .notOnLoop) { try TCPListener.bind(to: .loopbackV4) }
                await expectTorusError(.connect, .notOnLoop) {
                    try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: 9)!)
                }
                await expectTorusError(.connect, .notOnLoop) {
                    try await TCPConnection.connect(host: "localhost", port: 9)
                }
                // Async calls hop to the loop and work.
                try await client.write([5])
            }
            #expect(try await pair.server.read(upTo: 1) == [5])
            try await pair.close()
        }
    }

    // MARK: Addresses

    @Test func socketAddressesParseNumericIPsOnly() throws {
        let v4 = try #require(SocketAddress(ip: "127.0.0.1", port: 8080))
        #expect(v4.family == AF_INET && v4.port == 8080 && v4.ip == "127.0.0.1")
        #expect(v4.description == "127.0.0.1:8080")
        let v6 = try #require(SocketAddress(ip: "::1", port: 443))
        #expect(v6.family == AF_INET6 && v6.port == 443 && v6.ip == "::1")
        #expect(v6.description == "[::1]:443")
        #expect(SocketAddress(ip: "127.0.0.1", port: 8080) == v4)
        #expect(SocketAddress(ip: "127.0.0.1", port: 8081) != v4)
        #expect(Set([v4, v6, SocketAddress(ip: "127.0.0.1", port: 8080)!]).count == 2)
        for (ip, port) in [("localhost", 80), ("256.0.0.1", 80), ("", 80), ("127.0.0.1", -1), ("::1", 65536)] {
            #expect(SocketAddress(ip: ip, port: port) == nil, "\(ip) port \(port)")
        }
    }

    // MARK: Helpers

    /// Binds a listener on `address`, connects with `connect`, and echoes one message.
    private func echoOnce(
        listeningOn address: SocketAddress,
        _ connect: @Sendable (SocketAddress) async throws -> TCPConnection
    ) async throws {
        let listener = try TCPListener.bind(to: address)
        let loop = listener.loop
        let server = Task(executorPreference: loop) {
            let connection = try #require(try await listener.accept())
            let bytes = try await connection.read(exactly: 5)
            try await connection.write(bytes)
            try await connection.close()
        }
        let client = try await connect(listener.localAddress)
        #expect(try client.remoteAddress == listener.localAddress)
        try await client.write(Array("hello".utf8))
        #expect(try await client.read(exactly: 5) == Array("hello".utf8))
        #expect(try await client.read(upTo: 5) == [])
        try await server.value
        try await client.close()
        try await listener.close()
    }
}
