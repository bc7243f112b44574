import Testing

@testable import Torus

/// A ring far smaller than the work in flight: a full SQ is submitted and retried, and
/// a CQ that overflows is drained, so every operation completes exactly once.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct RingPressureTests {
    @Test func moreOperationsInFlightThanTheRingHolds() async throws {
        var configuration = TestBackend.ioUring.configuration
        configuration.submissionQueueEntries = 8
        configuration.completionQueueEntries = 16
        let loop = try EventLoop(configuration: configuration)
        let completed = try await loop.run {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<2_000 {
                    group.addTask {
                        try await loop.nop(); return 1
                    }
                }
                for _ in 0..<500 {
                    group.addTask {
                        try await loop.sleep(for: .milliseconds(1)); return 1
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        #expect(completed == 2_500)
        let statistics = await loop.statistics
        #expect(statistics.operationSlotsInUse == 0)
        #expect(statistics.staleCompletions == 0)
        await loop.shutdown()
    }
}
