import Testing

@testable import Torus

/// Ring sizes from a configuration are untrusted values: sizes the kernel refuses (0, a
/// CQ smaller than the SQ, past its limits) or a 1-entry SQ, which cannot hold an
/// operation and its linked timeout in one submission, fail the loop's creation with a
/// message naming them, on both reactors (`.automatic` may pick either). The smallest
/// ring allowed, 2 and 2, runs everything, timeouts included.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct RingSizeFaultTests {
    @Test(
        arguments: TestBackend.allCases,
        [(UInt32(0), UInt32(8192)), (1, 8192), (64, 32), (65_536, 65_536), (1024, 131_072)])
    func ringSizesThatCannotWorkFailTheLoopNamingThem(_ backend: TestBackend, sizes: (UInt32, UInt32)) async throws {
        var configuration = backend.configuration
        configuration.submissionQueueEntries = sizes.0
        configuration.completionQueueEntries = sizes.1
        let message =
            "ring sizes must satisfy 2 <= submissionQueueEntries <= 32768 and "
            + "submissionQueueEntries <= completionQueueEntries <= 65536, got \(sizes.0) and \(sizes.1)"
        await expectTorusError(.eventLoop, .invalidArgument(message)) { try EventLoop(configuration: configuration) }
    }

    @Test(arguments: TestBackend.allCases)
    func theSmallestRingRunsReadsWithTimeoutsAndEchoes(_ backend: TestBackend) async throws {
        try await withTestLoop(
            backend,
            configure: {
                $0.submissionQueueEntries = 2
                $0.completionQueueEntries = 2
            }
        ) { loop in
            let bystander = try await Bystander.make()
            let pair = try await ConnectedPair.make()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        await expectTorusError(.read, .timedOut) {
                            try await pair.server.read(upTo: 8, timeout: .milliseconds(20))
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await pair.client.write([5, 6])
            #expect(try await pair.server.read(exactly: 2) == [5, 6])
            try await bystander.expectEcho(seed: 100)
            try await pair.close()
            try await bystander.close()
        }
    }
}
