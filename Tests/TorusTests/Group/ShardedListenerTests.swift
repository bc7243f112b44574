import Foundation
import Testing
import TorusTestSupport

@testable import Torus

/// ``ShardedListener``: connections land on every loop of the group in both sharding
/// modes, are served byte-exact there (a task per connection, or a handler), and a
/// connection handed to another loop belongs to that loop.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct ShardedListenerTests {
    /// How the server under test serves each connection.
    enum Serving: String, CaseIterable, Sendable {
        case inATask, byAHandler
    }

    static let cases: [(TestBackend, ShardedListener.Sharding, Serving)] = TestBackend.allCases.flatMap { backend in
        ShardedListener.Sharding.allCases.flatMap { sharding in Serving.allCases.map { (backend, sharding, $0) } }
    }

    /// 40 clients on a loop of their own each echo 4 KiB byte-exact; every group loop
    /// served some of them.
    @Test(arguments: cases)
    func connectionsLandOnEveryLoopAndEcho(
        _ backend: TestBackend, _ sharding: ShardedListener.Sharding, _ serving: Serving
    ) async throws {
        try await withTestGroup(backend) { group in
            let listener = try await ShardedListener.bind(to: .loopbackV4, sharding: sharding, on: group)
            let served = Recorder()
            let server = Task {
                switch serving {
                case .inATask:
                    try await listener.serve { connection in
                        served.append(connection.loop.configuration.threadName)
                        await echoUntilEnd(connection)
                    }
                case .byAHandler:
                    try await listener.serve { _ in RecordingEcho(served: served) }
                }
            }
            let clientLoop = try backend.makeLoop()
            do {
                let clients = try await connectEchoClients(
                    40, to: listener.localAddress, on: clientLoop, message: randomBytes(4096, seed: 5))
                try await clientLoop.run { for client in clients { try await client.close() } }
            } catch {
                await clientLoop.shutdown()
                throw error
            }
            await clientLoop.shutdown()
            let counts = Dictionary(grouping: served.lines, by: { $0 }).mapValues(\.count)
            #expect(counts.values.reduce(0, +) == 40)
            #expect(Set(counts.keys) == Set(group.loops.map(\.configuration.threadName)), "\(counts)")
            await listener.close()
            try await server.value
        }
    }

    /// A connection handed to another loop is owned there: the first loop's handle is
    /// closed, the target's registry counts it, and it echoes 1 MiB byte-exact.
    @Test(arguments: TestBackend.allCases)
    func aHandedOffConnectionBelongsToItsNewLoop(_ backend: TestBackend) async throws {
        try await withTestGroup(backend) { group in
            let (first, second) = (group.loops[0], group.loops[1])
            let baseline = await second.statistics
            let message = randomBytes(1 << 20, seed: 13)
            let arrived = try CrossLoopChannel<Bool>(capacity: 1)
            let echoed: [UInt8] = try await first.run {
                let pair = try await ConnectedPair.make()
                try pair.server.handOff(to: second) { connection in
                    try? await arrived.send(connection.loop === second && second.isCurrent)
                    await echoUntilEnd(connection)
                }
                await expectTorusError(.read, .closed) { try await pair.server.read(upTo: 10) }
                #expect(try await arrived.receive() == true)
                #expect(await second.statistics.descriptorsOwned == baseline.descriptorsOwned + 1)
                try await pair.client.write(message)
                let echoed = try await pair.client.read(exactly: message.count)
                try await pair.client.close()
                return echoed
            }
            expectSameBytes(echoed, message)
            let closed = await waitUntil(second) { $0.descriptorsOwned == baseline.descriptorsOwned }
            #expect(closed, "the handed-off connection was closed by its new loop")
        }
    }

    /// Handing off to a loop that has shut down closes the descriptor there: the client
    /// reads end of stream, and nothing stays open.
    @Test(arguments: TestBackend.allCases)
    func aHandOffToALoopThatShutDownClosesTheConnection(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let target = try backend.makeLoop()
            await target.shutdown()
            let pair = try await ConnectedPair.make()
            let ran = Flag()
            try pair.server.handOff(to: target) { _ in ran.set() }
            #expect(try await pair.client.read(upTo: 10, timeout: .seconds(10).scaled).isEmpty)
            #expect(!ran.isSet)
            try await pair.client.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aConnectionInUseCannotBeHandedOff(_ backend: TestBackend) async throws {
        try await withTestGroup(backend) { group in
            try await group.loops[0].run {
                let pair = try await ConnectedPair.make()
                try pair.server.serve(with: EchoHandler { _ in })
                await expectTorusError(
                    .accept,
                    .invalidArgument("a connection with an operation in flight, or served, cannot be handed off")
                ) { try pair.server.handOff(to: group.loops[1]) { _ in } }
                try await pair.close()
            }
        }
    }
}

/// An echo handler, one per connection, that records the loop its connection is served on.
private final class RecordingEcho: ConnectionHandler {
    private let served: Recorder
    private let echo = EchoHandler { Issue.record("echo send failed: \($0)") }
    private var recorded = false

    init(served: Recorder) { self.served = served }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        if !recorded {
            recorded = true
            #expect(connection.loop.isCurrent)
            served.append(connection.loop.configuration.threadName)
        }
        echo.connection(connection, received: bytes)
    }
}
