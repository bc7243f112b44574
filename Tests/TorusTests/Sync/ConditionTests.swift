import Testing

@testable import Torus

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct SyncConditionTests {
    @Test(arguments: TestBackend.allCases)
    func notifyWakesTheLongestWaitersFirst(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let condition = try Condition()
            let woken = LoopConfined<[Int]>([], on: loop)
            var tasks: [Task<Bool, any Error>] = []
            for index in 0..<5 {
                tasks.append(
                    await startWaiter(on: loop) {
                        let notified = try await condition.wait()
                        woken.value.append(index)
                        return notified
                    })
            }
            try condition.notify(2)
            for task in tasks[0..<2] { #expect(try await task.value) }
            #expect(woken.value == [0, 1])
            try condition.notify()
            #expect(try await tasks[2].value)
            #expect(woken.value == [0, 1, 2])
            try condition.notifyAll()
            for task in tasks[3...] { #expect(try await task.value) }
            #expect(woken.value == [0, 1, 2, 3, 4])
            // Nobody waits: a notification is not remembered.
            try condition.notify()
            #expect(try await condition.wait(timeout: .milliseconds(1)) == false)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func waitReturnsFalseOnTimeoutAndLeavesTheLine(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let condition = try Condition()
            let start = ContinuousClock.now
            #expect(try await condition.wait(timeout: .milliseconds(20)) == false)
            #expect(ContinuousClock.now - start >= .milliseconds(20))
            let timesOut = await startWaiter(on: loop) { try await condition.wait(timeout: .milliseconds(5)) }
            let cancelled = await startWaiter(on: loop) { try await condition.wait() }
            let waits = await startWaiter(on: loop) { try await condition.wait(timeout: .seconds(30)) }
            #expect(try await timesOut.value == false)
            cancelled.cancel()
            await expectCancelled(cancelled)
            // One notification, and it reaches the waiter still in line.
            try condition.notify()
            #expect(try await waits.value)
        }
    }
}
