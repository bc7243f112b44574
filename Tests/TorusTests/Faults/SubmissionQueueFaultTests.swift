import Testing

@testable import Torus

/// 100,000 operations through an 8-entry submission queue: 1,000 tasks doing 100 no-ops
/// each, and 1,000 reads with linked timeouts (an SQE pair that must not be split by a
/// submission between them), while a bystander echoes. io_uring submits whenever the SQ
/// fills and never drops an operation; epoll has no submission queue (each operation is
/// a system call or a readiness wait at once), so the same load there is 100,000
/// operations and 1,000 heap timeouts through one loop. Every operation completes once.
///
/// Also covered elsewhere: 2,500 operations through an 8-entry SQ and a 16-entry CQ
/// (RingPressureTests `moreOperationsInFlightThanTheRingHolds`, io_uring only).
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct SubmissionQueueFaultTests {
    @Test(arguments: TestBackend.allCases)
    func aHundredThousandOperationsThroughAnEightEntryQueue(_ backend: TestBackend) async throws {
        let tasks = 1_000
        let nopsPerTask = 100
        let timedReads = 1_000
        try await withTestLoop(backend, configure: { $0.submissionQueueEntries = 8 }) { loop in
            let bystander = try await Bystander.make()
            let silent = try await ConnectedPair.make()
            let before = await loop.statistics
            let (nops, timeouts) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for _ in 0..<tasks {
                    group.addTask {
                        for _ in 0..<nopsPerTask { try await loop.nop() }
                        return (nopsPerTask, 0)
                    }
                }
                for _ in 0..<timedReads {
                    group.addTask {
                        await expectTorusError(.read, .timedOut) {
                            try await silent.server.read(upTo: 16, timeout: .milliseconds(50))
                        }
                        return (0, 1)
                    }
                }
                try await bystander.expectEcho(seed: 60)
                var total = (0, 0)
                for try await done in group {
                    total.0 += done.0
                    total.1 += done.1
                }
                return total
            }
            #expect(nops == tasks * nopsPerTask)
            #expect(timeouts == timedReads)
            let after = await loop.statistics
            #expect(after.staleCompletions == before.staleCompletions)
            #expect(after.operationSlotsInUse == before.operationSlotsInUse)
            if backend == .ioUring {
                // Every no-op and read (and its linked timeout) went through the queue.
                #expect(after.operationsSubmitted - before.operationsSubmitted >= UInt64(nops + 2 * timedReads))
            }
            // The silent connection lost no byte to the timed-out reads.
            try await silent.client.write([1, 2, 3])
            #expect(try await silent.server.read(exactly: 3) == [1, 2, 3])
            try await silent.close()
            try await bystander.expectEcho(seed: 61)
            try await bystander.close()
        }
    }
}
