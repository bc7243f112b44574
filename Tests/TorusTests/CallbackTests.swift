import Glibc
import SystemPackage
import Testing

@testable import Torus

/// The callback layer against its async twins: same bytes, same errors, same
/// cancellation, completions on the loop thread.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct CallbackTests {
    @Test(arguments: TestBackend.allCases)
    func callbackWritesAndReadsCarryTheSameBytesAsAsync(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            let sent = randomBytes(256 << 10, seed: 11)
            // Written with a callback, read with await.
            let written = Promise<Void>()
            pair.client.write(sent) { try! written.resolve($0) }
            #expect(bytesEqual(try await pair.server.read(exactly: sent.count), sent))
            try await written.future.value
            // Written with await, read with callbacks.
            async let readBack = readWithCallbacks(pair.client, count: sent.count)
            try await pair.server.write(sent)
            #expect(bytesEqual(try await readBack, sent))
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func readIntoABufferReportsTheCountOnTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 1)
            defer { buffer.deallocate() }
            try await pair.server.write([1, 2, 3])
            let (count, onLoop): (Int, Bool) = try await withPromise { promise in
                pair.client.read(into: buffer) { result in try! promise.resolve(result.map { ($0, loop.isCurrent) }) }
            }
            #expect(count == 3 && onLoop)
            #expect(Array(buffer.prefix(count)) == [1, 2, 3])
            try await pair.server.close()
            let endOfStream: Int = try await withPromise { promise in
                pair.client.read(into: buffer) { try! promise.resolve($0) }
            }
            #expect(endOfStream == 0)
            try await withPromise { promise in pair.client.close { try! promise.resolve($0) } }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func errorsAreTheAsyncErrors(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            try await pair.close()
            await expectTorusError(.read, .closed) { try await pair.client.read(upTo: 8) }
            await expectTorusError(.read, .closed) {
                try await withPromise { promise in pair.client.read(upTo: 8) { try! promise.resolve($0) } }
            }
            await expectTorusError(.close, .closed) {
                try await withPromise { promise in pair.client.close { try! promise.resolve($0) } }
            }
            // Nothing listens on a bound, unlistening port: refused either way.
            let socket = try #require(RawSocket())
            defer { socket.close() }
            let address = try socket.bind(.loopbackV4)
            await expectTorusError(.connect, .system(.connectionRefused)) {
                try await TCPConnection.connect(to: address)
            }
            await expectTorusError(.connect, .system(.connectionRefused)) {
                try await withPromise { promise in TCPConnection.connect(to: address) { try! promise.resolve($0) } }
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func perCallTimeoutIsTheAsyncTimeout(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let pair = try await ConnectedPair.make()
            await expectTorusError(.read, .timedOut) {
                try await withPromise { promise in
                    pair.client.read(upTo: 8, timeout: .milliseconds(10)) { try! promise.resolve($0) }
                }
            }
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingTheHandleCancelsTheReadInFlight(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
            defer { buffer.deallocate() }
            let outcome = Promise<Int>()
            let handle = pair.client.read(into: buffer) { try! outcome.resolve($0) }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse > 0 }, "the read is in flight")
            #expect(!handle.isCancelled)
            handle.cancel()
            #expect(handle.isCancelled)
            await #expect(throws: CancellationError.self) { try await outcome.future.value }
            // The connection is still usable, and the cancelled read took no bytes.
            try await pair.server.write([9])
            #expect(try await pair.client.read(upTo: 8) == [9])
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func listenerAcceptAndConnectWithCallbacks(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            let accepted = Promise<TCPConnection?>()
            listener.accept { try! accepted.resolve($0) }
            let client: TCPConnection = try await withPromise { promise in
                TCPConnection.connect(to: listener.localAddress) { try! promise.resolve($0) }
            }
            let server = try #require(try await accepted.future.value)
            #expect(try server.remoteAddress == client.localAddress)
            #expect(client.loop === loop)
            let closed = Promise<TCPConnection?>()
            listener.accept { try! closed.resolve($0) }
            try await withPromise { promise in listener.close { try! promise.resolve($0) } }
            #expect(try await closed.future.value == nil)
            try await client.close()
            try await server.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func fileCallbacksMatchTheAsyncCalls(_ backend: TestBackend) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("callbacks.bin")
            let contents = randomBytes(100_000, seed: 3)
            try await withTestLoop(backend) { loop in
                let file: File = try await withPromise { promise in
                    File.open(path, .readWrite, options: [.create, .exclusiveCreate]) { try! promise.resolve($0) }
                }
                try await withPromise { promise in file.write(contents, at: 0) { try! promise.resolve($0) } }
                try await withPromise { promise in file.fsync { try! promise.resolve($0) } }
                let status: File.Status = try await withPromise { promise in file.stat { try! promise.resolve($0) } }
                #expect(status.size == Int64(contents.count))
                #expect(status == (try await file.stat()))
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 10, alignment: 1)
                defer { buffer.deallocate() }
                let count: Int = try await withPromise { promise in
                    file.read(into: buffer, at: 500) { try! promise.resolve($0) }
                }
                #expect(Array(buffer.prefix(count)) == Array(contents[500..<510]))
                let whole: [UInt8] = try await withPromise { promise in file.readAll { try! promise.resolve($0) } }
                #expect(bytesEqual(whole, contents))
                try await withPromise { promise in file.close { try! promise.resolve($0) } }
                await expectTorusError(.stat, .closed) {
                    try await withPromise { promise in file.stat { try! promise.resolve($0) } }
                }
                let reread: [UInt8] = try await withPromise { promise in
                    File.readAll(path, on: loop) { try! promise.resolve($0) }
                }
                #expect(bytesEqual(reread, try await File.readAll(path)))
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func timerCallbacksRunOnTheLoopInDeadlineOrder(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let fired = LoopConfined<[String]>([], on: loop)
            let done = Promise<[String]>()
            loop.sleep(for: .milliseconds(20).scaled) { _ in
                fired.value.append("later")
                try! done.complete(fired.value)
            }
            loop.sleep(until: .now + .milliseconds(5).scaled) { _ in fired.value.append("sooner") }
            loop.nop { _ in fired.value.append("nop") }
            let order = try await done.future.value
            // The no-op usually comes first, but `sleep(until:)`'s deadline is fixed when it is
            // called: a loop slower than 5 ms to start its task (a sanitizer, a loaded
            // machine) finds it due and returns at once, maybe before the no-op.
            #expect(order.filter { $0 != "nop" } == ["sooner", "later"])
            #expect(order.contains("nop"))
        }
    }

    /// Reads `count` bytes with callbacks, each completion starting the next read: the
    /// talk's callback style.
    private func readWithCallbacks(_ connection: TCPConnection, count: Int) async throws -> [UInt8] {
        try await withPromise { promise in
            var received: [UInt8] = []
            func readMore() {
                connection.read(upTo: count - received.count) { result in
                    switch result {
                    case .success(let chunk) where !chunk.isEmpty && received.count + chunk.count < count:
                        received += chunk
                        readMore()
                    case .success(let chunk):
                        try! promise.complete(received + chunk)
                    case .failure(let error):
                        try! promise.fail(error)
                    }
                }
            }
            readMore()
        }
    }
}
