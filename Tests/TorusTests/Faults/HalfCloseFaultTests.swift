import Synchronization
import Testing

@testable import Torus

/// Half-close: one side shuts its write side (a FIN) and goes on reading. The other side
/// sees end of stream, stays able to send, and every byte of its reply arrives before
/// the end; on both reactors, in both API styles, with a bystander echoing meanwhile.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct HalfCloseFaultTests {
    /// Task API: the client sends a request and shuts its write side; the server reads
    /// to end of stream (which stays the end), then writes a 1 MiB reply and closes.
    @Test(arguments: TestBackend.allCases)
    func aServerRepliesInFullAfterThePeerHalfClosed(_ backend: TestBackend) async throws {
        let request = randomBytes(40_000, seed: 10)
        let reply = randomBytes(1 << 20, seed: 11)
        try await withTestLoop(backend) { loop in
            let bystander = try await Bystander.make()
            let pair = try await ConnectedPair.make()
            let server = Task(executorPreference: loop) {
                let received = try await readToEnd(pair.server)
                #expect(try await pair.server.read(upTo: 16, timeout: .seconds(10)).isEmpty, "the end stays the end")
                try await pair.server.write(reply, timeout: .seconds(10))
                try await pair.server.close()
                return received
            }
            try await pair.client.write(request)
            try pair.client.shutdown(.write)
            try await bystander.expectEcho(seed: 12)
            expectSameBytes(try await readToEnd(pair.client), reply)
            expectSameBytes(try await server.value, request)
            try await pair.client.close()
            try await bystander.expectEcho(seed: 13)
            try await bystander.close()
        }
    }

    /// Task API, the other way round: the server shuts its write side first; the client
    /// reads end of stream and the server still reads everything the client sends.
    @Test(arguments: TestBackend.allCases)
    func aHalfClosedServerStillReadsItsPeer(_ backend: TestBackend) async throws {
        let upload = randomBytes(1 << 20, seed: 14)
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            try pair.server.shutdown(.write)
            #expect(try await pair.client.read(upTo: 16, timeout: .seconds(10)).isEmpty)
            let writer = Task(executorPreference: loop) {
                try await pair.client.write(upload, timeout: .seconds(10))
                try pair.client.shutdown(.write)
            }
            expectSameBytes(try await readToEnd(pair.server), upload)
            try await writer.value
            try await pair.close()
        }
    }

    /// Handler API: the handler hears the peer's end (no error), sends a 1 MiB reply from
    /// `connectionEnded`, and the connection closes itself only once the reply has left:
    /// the half-closed peer reads all of it, then end of stream.
    @Test(arguments: TestBackend.allCases)
    func aServedConnectionRepliesFromConnectionEndedAfterTheHalfClose(_ backend: TestBackend) async throws {
        let request = randomBytes(40_000, seed: 15)
        let reply = randomBytes(1 << 20, seed: 16)
        try await withTestLoop(backend) { loop in
            let bystander = try await Bystander.make()
            let baseline = await loop.statistics
            let pair = try await ConnectedPair.make()
            let handler = ReplyAtEndHandler(reply: reply)
            try pair.server.serve(with: handler)
            try await pair.client.write(request)
            try pair.client.shutdown(.write)
            try await bystander.expectEcho(seed: 17)
            expectSameBytes(try await readToEnd(pair.client), reply)
            let heard = handler.heard.withLock { $0 }
            expectSameBytes(heard.received, request)
            #expect(heard.endings == [nil], "the peer's half-close is an end without error")
            #expect(heard.sendErrors.isEmpty, "\(heard.sendErrors)")
            try await pair.client.close()
            await expectBack(to: baseline, on: loop)
            try await bystander.expectEcho(seed: 18)
            try await bystander.close()
        }
    }
}

/// Collects what arrives and sends `reply` once the peer's end of stream is heard.
private final class ReplyAtEndHandler: ConnectionHandler, Sendable {
    struct Heard: Sendable {
        var received: [UInt8] = []
        var endings: [TorusError?] = []
        var sendErrors: [String] = []
    }

    let reply: [UInt8]
    let heard = Mutex(Heard())

    init(reply: [UInt8]) { self.reply = reply }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        heard.withLock { $0.received += bytes }
    }

    func connectionEnded(_ connection: TCPConnection, error: TorusError?) {
        heard.withLock { $0.endings.append(error) }
        do {
            try reply.withUnsafeBytes { try connection.send($0) }
        } catch {
            heard.withLock { $0.sendErrors.append("\(error)") }
        }
    }
}
