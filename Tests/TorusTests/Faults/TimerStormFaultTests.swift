import Testing

@testable import Torus

/// A timer storm: 20,000 sleeps due at one instant and 2,000 reads whose timeouts expire
/// at another (on io_uring, 2,000 linked timeouts firing together: 4,000 CQEs), while a
/// bystander connection keeps echoing. No sleep wakes before its deadline, every read
/// throws `.timedOut`, the silent connections stay usable, and the heap and slots empty;
/// on both reactors.
///
/// Also covered elsewhere: ordering (TimerTests `tenThousandTimersFireInDeadlineOrder`)
/// and cancelled sleeps compacted away (`cancelledSleepsReleaseSlotsAndTheirEntriesAreCompacted`).
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct TimerStormFaultTests {
    static let sleeps = 20_000
    static let timedReads = 2_000

    @Test(arguments: TestBackend.allCases)
    func aStormOfSimultaneousTimersAndTimeouts(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let bystander = try await Bystander.make()
            var silent: [ConnectedPair] = []
            for _ in 0..<20 { silent.append(try await ConnectedPair.make()) }
            let silentPairs = silent
            let before = await loop.statistics
            // Every task first waits at a gate (no timer); once all wait, the gate opens
            // with the deadline they all sleep until, 300 ms ahead.
            let gate = try Event()
            let deadline = LoopConfined(ContinuousClock.now, on: loop)
            let early = LoopConfined(0, on: loop)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<Self.sleeps {
                    group.addTask {
                        try await gate.wait()
                        try await loop.sleep(until: deadline.value)
                        if ContinuousClock.now < deadline.value { early.value += 1 }
                        return true
                    }
                }
                for index in 0..<Self.timedReads {
                    let pair = silentPairs[index % silentPairs.count]
                    group.addTask {
                        try await gate.wait()
                        try await loop.sleep(until: deadline.value)
                        do {
                            _ = try await pair.server.read(upTo: 64, timeout: .milliseconds(200))
                        } catch let error as TorusError where error == TorusError(.read, .timedOut) {
                            return false
                        }
                        Issue.record("a read of a silent connection returned")
                        return false
                    }
                }
                let waiting = await waitUntil(loop) {
                    $0.operationSlotsInUse >= before.operationSlotsInUse + Self.sleeps + Self.timedReads
                }
                try #require(waiting, "not every task waited at the gate")
                deadline.value = ContinuousClock.now + .milliseconds(300)
                try gate.set()
                try await bystander.expectEcho(seed: 50)
                var slept = 0
                var timedOut = 0
                for try await outcome in group {
                    if outcome { slept += 1 } else { timedOut += 1 }
                    // The bystander echoes while the storm is being delivered.
                    if (slept + timedOut) % 5_000 == 0 { try await bystander.expectEcho(seed: 51) }
                }
                return (slept, timedOut)
            }
            #expect(outcomes.0 == Self.sleeps)
            #expect(outcomes.1 == Self.timedReads)
            #expect(early.value == 0, "\(early.value) sleeps woke before their deadline")
            let after = await loop.statistics
            #expect(after.operationSlotsInUse == before.operationSlotsInUse)
            #expect(after.timersPending <= TimerQueue.compactionThreshold)
            #expect(after.staleCompletions == before.staleCompletions)
            // No byte went to a timed-out read.
            for (index, pair) in silentPairs.enumerated() {
                try await pair.client.write([UInt8(index)])
                #expect(try await pair.server.read(exactly: 1) == [UInt8(index)])
                try await pair.close()
            }
            try await bystander.expectEcho(seed: 52)
            try await bystander.close()
        }
    }
}
