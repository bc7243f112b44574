import Glibc
import Testing

@testable import Torus

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct SyncSemaphoreTests {
    @Test(arguments: TestBackend.allCases)
    func permitsAreCountedAndHandedOverInOrder(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let semaphore = try Semaphore(value: 2)
            try await semaphore.acquire()
            try await semaphore.acquire()
            let order = LoopConfined<[Int]>([], on: loop)
            var tasks: [Task<Void, any Error>] = []
            for index in 0..<3 {
                tasks.append(
                    await startWaiter(on: loop) {
                        try await semaphore.acquire()
                        order.value.append(index)
                    })
            }
            try semaphore.release()
            try await tasks[0].value
            #expect(order.value == [0])
            try semaphore.release()
            try semaphore.release()
            for task in tasks { try await task.value }
            #expect(order.value == [0, 1, 2])
            // No permit left: a waiting acquire times out.
            await expectTimeout(.semaphore, after: .milliseconds(10)) {
                try await semaphore.acquire(timeout: .milliseconds(10))
            }
        }
    }

    /// Timers due in the same pass take effect in deadline order: a release due at
    /// 10 ms beats an acquire timeout due at 20 ms even when the loop was busy for 40 ms
    /// and both came due at once: the woken task runs before the later timeout fires.
    @Test(arguments: TestBackend.allCases)
    func aWakeUpDueBeforeATimeoutRunsFirstAfterABusyLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let semaphore = try Semaphore(value: 0)
            // Both tasks start in the same loop turn, so their deadlines are set together
            // however slowly tasks start (ThreadSanitizer, a busy host).
            let before = await loop.statistics.operationSlotsInUse
            let acquirer = Task(executorPreference: loop) {
                try await semaphore.acquire(timeout: .milliseconds(20).scaled)
            }
            let releaser = Task(executorPreference: loop) {
                try await loop.sleep(for: .milliseconds(10).scaled)
                try semaphore.release()
            }
            let waiting = await waitUntil(loop) { $0.operationSlotsInUse >= before + 2 }
            #expect(waiting, "both tasks wait")
            usleep(UInt32(40_000 * testTimeScale))  // the loop thread is busy: both timers come due meanwhile
            try await releaser.value
            try await acquirer.value  // acquired, not timed out
        }
    }

    @Test(arguments: TestBackend.allCases)
    func unboundedSemaphoreMayRiseAboveItsInitialValue(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let semaphore = try Semaphore(value: 0)
            for _ in 0..<3 { try semaphore.release() }
            for _ in 0..<3 { try await semaphore.acquire(timeout: .zero) }
            await expectTorusError(.semaphore, .timedOut) { try await semaphore.acquire(timeout: .milliseconds(1)) }
            await expectTorusError(.semaphore, .invalidArgument("initial value -1 is negative")) {
                try Semaphore(value: -1)
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func boundedSemaphoreRefusesReleaseAboveItsInitialValue(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let semaphore = try BoundedSemaphore(value: 2)
            await expectTorusError(.semaphore, .overReleased) { try semaphore.release() }
            try await semaphore.acquire()
            try await semaphore.acquire()
            try semaphore.release()
            try semaphore.release()
            let error = await torusError { try semaphore.release() }
            #expect(error?.description == "semaphore released more times than it was acquired")
            // Still two permits, not three.
            try await semaphore.acquire()
            try await semaphore.acquire()
            await expectTorusError(.semaphore, .timedOut) { try await semaphore.acquire(timeout: .milliseconds(1)) }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancelledAndTimedOutWaitersDoNotSwallowPermits(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let semaphore = try Semaphore(value: 0)
            let cancelled = await startWaiter(on: loop) { try await semaphore.acquire() }
            let timedOut = await startWaiter(on: loop) { try await semaphore.acquire(timeout: .milliseconds(5)) }
            let served = await startWaiter(on: loop) { try await semaphore.acquire() }
            cancelled.cancel()
            await expectCancelled(cancelled)
            await expectTorusError(.semaphore, .timedOut) { try await timedOut.value }
            try semaphore.release()
            try await served.value
            // The one permit went to `served`: none is left.
            await expectTorusError(.semaphore, .timedOut) { try await semaphore.acquire(timeout: .milliseconds(1)) }
        }
    }

    /// Tornado's count is a Python integer without a ceiling; Torus's is an `Int`: a
    /// release that would pass `Int.max` throws `.overReleased` instead of trapping.
    @Test(arguments: TestBackend.allCases)
    func releaseBeyondIntMaxThrowsInsteadOfTrapping(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let semaphore = try Semaphore(value: .max)
            await expectTorusError(.semaphore, .overReleased) { try semaphore.release() }
            try await semaphore.acquire(timeout: .zero)
            try semaphore.release()
            await expectTorusError(.semaphore, .overReleased) { try semaphore.release() }
        }
    }

    /// Tornado's `async with semaphore`: the permit is returned whether the body returns
    /// or throws, and an acquire that times out does not run the body.
    @Test(arguments: TestBackend.allCases)
    func withPermitReturnsThePermitWhenTheBodyEnds(_ backend: TestBackend) async throws {
        struct Failure: Error {}
        try await withTestLoop(backend) { _ in
            let semaphore = try BoundedSemaphore(value: 1)
            #expect(try await semaphore.withPermit { "ran" } == "ran")
            await #expect(throws: Failure.self) { try await semaphore.withPermit { throw Failure() } }
            try await semaphore.acquire(timeout: .zero)
            var ran = false
            await expectTorusError(.semaphore, .timedOut) {
                try await semaphore.withPermit(timeout: .milliseconds(1)) { ran = true }
            }
            #expect(!ran)
            try semaphore.release()
            // The body returning the permit itself makes the release at its end an error.
            await expectTorusError(.semaphore, .overReleased) {
                try await semaphore.withPermit { try semaphore.release() }
            }
            try await semaphore.acquire(timeout: .zero)
            try semaphore.release()
        }
    }
}
