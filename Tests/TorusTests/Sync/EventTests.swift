import Testing

@testable import Torus

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct SyncEventTests {
    @Test(arguments: TestBackend.allCases)
    func setWakesEveryWaiterAndClearLowersTheFlag(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let event = try Event()
            #expect(try event.isSet == false)
            let woken = LoopConfined(0, on: loop)
            var tasks: [Task<Void, any Error>] = []
            for _ in 0..<3 {
                tasks.append(
                    await startWaiter(on: loop) {
                        try await event.wait()
                        woken.value += 1
                    })
            }
            #expect(woken.value == 0)
            try event.set()
            #expect(try event.isSet)
            for task in tasks { try await task.value }
            #expect(woken.value == 3)
            try await event.wait()  // set: returns at once
            try event.set()
            try event.clear()
            #expect(try event.isSet == false)
            await expectTimeout(.event, after: .milliseconds(20)) { try await event.wait(timeout: .milliseconds(20)) }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancelledAndTimedOutWaitersLeave(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let event = try Event()
            let cancelled = await startWaiter(on: loop) { try await event.wait(timeout: .seconds(30)) }
            let timedOut = await startWaiter(on: loop) { try await event.wait(timeout: .milliseconds(5)) }
            let waits = await startWaiter(on: loop) { try await event.wait() }
            cancelled.cancel()
            await expectCancelled(cancelled)
            await expectTorusError(.event, .timedOut) { try await timedOut.value }
            try event.set()
            try await waits.value
        }
    }
}
