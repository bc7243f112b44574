import Testing

@testable import Torus

/// More completions at once than the loop can take in one go. io_uring: a 4-entry CQ
/// (``EventLoop/Configuration/completionQueueEntries``, with a 4-entry SQ) while 300
/// pending reads, 100 served connections' multishot receives and 400 sends complete in
/// one burst; the kernel keeps what does not fit in its overflow list
/// (`IORING_FEAT_NODROP`) and the loop takes it on its next entries. epoll's equivalent:
/// more ready descriptors than one `epoll_wait` returns (256); the rest are reported by
/// the next calls. Every read gets its own bytes, every served connection echoes, and a
/// bystander echoes after; on both reactors, in both API styles.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct CompletionQueueFaultTests {
    static let readers = 300
    static let served = 100

    @Test(arguments: TestBackend.allCases)
    func aBurstOfCompletionsPastATinyCompletionQueue(_ backend: TestBackend) async throws {
        try await withTestLoop(
            backend,
            configure: {
                $0.submissionQueueEntries = 4
                $0.completionQueueEntries = 4
            }
        ) { loop in
            let bystander = try await Bystander.make()
            let listener = try TCPListener.bind(to: .loopbackV4)
            var pairs: [ConnectedPair] = []
            for _ in 0..<Self.readers + Self.served {
                let client = try await TCPConnection.connect(to: listener.localAddress)
                pairs.append(ConnectedPair(client: client, server: try #require(try await listener.accept())))
            }
            try await listener.close()
            let readerPairs = pairs[..<Self.readers]
            let servedPairs = pairs[Self.readers...]
            for pair in servedPairs { try pair.server.serve(with: EchoHandler()) }
            let before = await loop.statistics

            // Task API: a read pending on each reader connection.
            let reads = readerPairs.map { pair in
                Task(executorPreference: loop) { try await pair.server.read(exactly: 8, timeout: .seconds(10)) }
            }
            let waiting = await waitUntil(loop) { $0.operationSlotsInUse >= before.operationSlotsInUse + Self.readers }
            try #require(waiting, "not every read was pending")
            // One burst: every peer writes at once, from tasks started in one turn.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, pair) in pairs.enumerated() {
                    group.addTask { try await pair.client.write(Self.message(index), timeout: .seconds(10)) }
                }
                try await group.waitForAll()
            }
            for (index, read) in reads.enumerated() {
                #expect(try await read.value == Self.message(index), "reader \(index)")
            }
            // Handler API: every served connection echoed its message.
            try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                for (index, pair) in zip(servedPairs.indices, servedPairs) {
                    group.addTask { (index, try await pair.client.read(exactly: 8, timeout: .seconds(10))) }
                }
                for try await (index, echoed) in group {
                    #expect(echoed == Self.message(index), "served connection \(index)")
                }
            }
            #expect(await loop.statistics.staleCompletions == before.staleCompletions)
            try await bystander.expectEcho(seed: 70)
            for pair in readerPairs { try await pair.close() }
            for pair in servedPairs { try await pair.client.close() }
            try await bystander.close()
        }
    }

    /// Eight bytes naming connection `index`.
    private static func message(_ index: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(index).littleEndian) { Array($0) }
    }
}
