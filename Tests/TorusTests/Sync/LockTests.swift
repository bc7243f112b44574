import Testing

@testable import Torus

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct SyncLockTests {
    @Test(arguments: TestBackend.allCases)
    func acquireReleaseAndReleaseWhileUnlocked(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let lock = try Lock()
            #expect(lock.loop === loop)
            for _ in 0..<3 {
                try await lock.acquire()
                try lock.release()
            }
            await expectTorusError(.lock, .overReleased) { try lock.release() }
            let value = try await lock.withLock { 42 }
            #expect(value == 42)
            await expectTorusError(.lock, .overReleased) { try lock.release() }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func waitersAcquireInArrivalOrder(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let lock = try Lock()
            let order = LoopConfined<[Int]>([], on: loop)
            try await lock.acquire()
            var tasks: [Task<Void, any Error>] = []
            for index in 0..<5 {
                tasks.append(
                    await startWaiter(on: loop) {
                        try await lock.withLock { order.value.append(index) }
                    })
            }
            #expect(order.value.isEmpty)
            try lock.release()
            for task in tasks { try await task.value }
            #expect(order.value == [0, 1, 2, 3, 4])
        }
    }

    @Test(arguments: TestBackend.allCases)
    func acquireTimesOutAndLeavesTheLine(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let lock = try Lock()
            try await lock.acquire()
            await expectTimeout(.lock, after: .milliseconds(20)) { try await lock.acquire(timeout: .milliseconds(20)) }
            // A waiter that timed out does not swallow the next release.
            let timesOut = await startWaiter(on: loop) { try await lock.acquire(timeout: .milliseconds(5)) }
            let waits = await startWaiter(on: loop) {
                try await lock.acquire()
                try lock.release()
            }
            await expectTorusError(.lock, .timedOut) { try await timesOut.value }
            try lock.release()
            try await waits.value
            // Free again: even a zero timeout acquires it without waiting.
            try await lock.acquire(timeout: .zero)
            try lock.release()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancelledWaiterPassesTheLockOn(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let lock = try Lock()
            try await lock.acquire()
            let cancelled = await startWaiter(on: loop) { try await lock.acquire(timeout: .seconds(30)) }
            let next = await startWaiter(on: loop) {
                try await lock.acquire()
                try lock.release()
                return "next"
            }
            cancelled.cancel()
            await expectCancelled(cancelled)
            try lock.release()
            #expect(try await next.value == "next")
            // An acquire in an already cancelled task that has to wait throws at once.
            try await lock.acquire()
            let late = Task(executorPreference: loop) {
                withUnsafeCurrentTask { $0?.cancel() }
                try await lock.acquire()
            }
            await expectCancelled(late)
            try lock.release()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func withLockReleasesWhenTheBodyThrows(_ backend: TestBackend) async throws {
        struct Failure: Error {}
        try await withTestLoop(backend) { loop in
            let lock = try Lock()
            await #expect(throws: Failure.self) { try await lock.withLock { throw Failure() } }
            try await lock.acquire(timeout: .milliseconds(1))
            try lock.release()
        }
    }
}
