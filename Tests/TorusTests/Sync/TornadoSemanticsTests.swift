import Testing

@testable import Torus

// Behaviours of `tornado.locks` and `tornado.queues` that the per-primitive suites do not
// already show, each compared with Tornado in docs/TORNADO.md.

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct SyncTornadoSemanticsTests {
    /// Tornado 6.6: a zero timeout returns at once when the primitive is free and times
    /// out at once otherwise, instead of waiting forever; a negative one does the same.
    @Test(arguments: TestBackend.allCases)
    func zeroAndNegativeTimeoutsReturnOrTimeOutAtOnce(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let lock = try Lock()
            try await lock.acquire(timeout: .zero)
            await expectTorusError(.lock, .timedOut) { try await lock.acquire(timeout: .zero) }
            try lock.release()

            let semaphore = try Semaphore(value: 0)
            await expectTorusError(.semaphore, .timedOut) { try await semaphore.acquire(timeout: .seconds(-1)) }

            let condition = try Condition()
            #expect(try await condition.wait(timeout: .zero) == false)

            let event = try Event()
            await expectTorusError(.event, .timedOut) { try await event.wait(timeout: .zero) }
            try event.set()
            try await event.wait(timeout: .zero)

            let queue = try Queue<Int>(maxsize: 1)
            await expectTorusError(.queue, .timedOut) { try await queue.get(timeout: .zero) }
            try await queue.put(1, timeout: .zero)
            await expectTorusError(.queue, .timedOut) { try await queue.put(2, timeout: .seconds(-1)) }
            await expectTorusError(.queue, .timedOut) { try await queue.join(timeout: .zero) }
            #expect(try await queue.get(timeout: .zero) == 1)
            try queue.taskDone()
            try await queue.join(timeout: .zero)
        }
    }

    /// Tornado 5.0: a notified waiter runs on a later turn of the loop, never inside
    /// `notify`; the notifier goes on first. The same holds for `Event.set`, which
    /// wakes its waiters in arrival order (Tornado's, kept in a set, in no set order).
    @Test(arguments: TestBackend.allCases)
    func aWokenWaiterRunsOnlyAfterTheWakerGoesOn(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let condition = try Condition()
            let event = try Event()
            let ran = LoopConfined<[String]>([], on: loop)
            var waiters = [
                await startWaiter(on: loop) {
                    _ = try await condition.wait()
                    ran.value.append("notified")
                }
            ]
            for index in 0..<3 {
                waiters.append(
                    await startWaiter(on: loop) {
                        try await event.wait()
                        ran.value.append("woken \(index)")
                    })
            }
            try condition.notify()
            try event.set()
            ran.value.append("waker")
            for waiter in waiters { try await waiter.value }
            #expect(ran.value == ["waker", "notified", "woken 0", "woken 1", "woken 2"])
        }
    }

    /// Tornado's `notify(n)` loops `while n`, so a negative `n` wakes every waiter; Torus
    /// wakes nobody for a count below 1, as asyncio's `Condition.notify` does.
    @Test(arguments: TestBackend.allCases)
    func aNotifyCountBelowOneWakesNobody(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let condition = try Condition()
            let waiter = await startWaiter(on: loop) { try await condition.wait(timeout: .milliseconds(20)) }
            try condition.notify(-1)
            try condition.notify(0)
            #expect(try await waiter.value == false, "timed out: never notified")
        }
    }

    /// A waiter handed its permit, item or wake-up keeps it even when its task is
    /// cancelled before it runs. In Tornado the handed-over future's result is lost when
    /// the asyncio task is cancelled at that point (a permit or item leaks).
    @Test(arguments: TestBackend.allCases)
    func aWaiterHandedItsTurnBeforeItsCancellationKeepsIt(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let lock = try Lock()
            try await lock.acquire()
            let locker = await startWaiter(on: loop) { try await lock.acquire() }
            try lock.release()
            locker.cancel()
            try await locker.value
            await expectTorusError(.lock, .timedOut) { try await lock.acquire(timeout: .zero) }
            try lock.release()  // the locker's hold

            let queue = try Queue<Int>()
            let getter = await startWaiter(on: loop) { try await queue.get() }
            try queue.putNowait(7)
            getter.cancel()
            #expect(try await getter.value == 7)
            #expect(try queue.isEmpty)

            let condition = try Condition()
            let waiter = await startWaiter(on: loop) { try await condition.wait() }
            try condition.notify()
            waiter.cancel()
            #expect(try await waiter.value)
        }
    }

    /// As in Tornado, `set()` followed at once by `clear()` still wakes the waiters that
    /// were waiting: they were woken by `set()`, whatever the flag is when they run.
    @Test(arguments: TestBackend.allCases)
    func setThenClearStillWakesThoseWaiting(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let event = try Event()
            let waiters = [
                await startWaiter(on: loop) { try await event.wait() },
                await startWaiter(on: loop) { try await event.wait(timeout: .seconds(30)) },
            ]
            try event.set()
            try event.clear()
            for waiter in waiters { try await waiter.value }
            #expect(try event.isSet == false)
        }
    }

    /// Tornado's `join` waits on an `Event`: every joiner returns once the last item is
    /// done, even if another item is put before the joiners run.
    @Test(arguments: TestBackend.allCases)
    func everyJoinerReturnsOnceTheLastItemIsDone(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let queue = try Queue<Int>()
            try queue.putNowait(1)
            let joiners = [
                await startWaiter(on: loop) { try await queue.join() },
                await startWaiter(on: loop) { try await queue.join(timeout: .seconds(30)) },
            ]
            #expect(try queue.getNowait() == 1)
            try queue.taskDone()
            try queue.putNowait(2)
            for joiner in joiners { try await joiner.value }
            await expectTorusError(.queue, .timedOut) { try await queue.join(timeout: .zero) }
            #expect(try queue.getNowait() == 2)
            try queue.taskDone()
        }
    }

    /// Tornado's `async for` keeps taking items in a cancelled task while `get` finds
    /// one at once (asyncio delivers the cancellation at the next suspension); Torus's
    /// iterator checks for cancellation before every item.
    @Test(arguments: TestBackend.allCases)
    func iterationStopsAtCancellationWithItemsLeft(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let queue = try Queue<Int>()
            for item in 0..<3 { try queue.putNowait(item) }
            let consumer = Task(executorPreference: loop) {
                var taken: [Int] = []
                for try await item in queue {
                    taken.append(item)
                    if taken.count == 1 { withUnsafeCurrentTask { $0?.cancel() } }
                }
                return taken
            }
            await expectCancelled(consumer)
            #expect(try queue.count == 2)
            #expect(try queue.getNowait() == 1)
        }
    }

    /// Tornado's documented use: `(priority, data)` entries, lowest priority first.
    /// Swift tuples are not `Comparable`, so the entry is a `Comparable` struct.
    @Test(arguments: TestBackend.allCases)
    func priorityEntriesComeOutLowestFirst(_ backend: TestBackend) async throws {
        struct Entry: Comparable {
            let priority: Int
            let data: String
            static func < (lhs: Entry, rhs: Entry) -> Bool {
                (lhs.priority, lhs.data) < (rhs.priority, rhs.data)
            }
        }
        try await withTestLoop(backend) { _ in
            let queue = try PriorityQueue<Entry>()
            try queue.putNowait(Entry(priority: 1, data: "medium-priority item"))
            try queue.putNowait(Entry(priority: 0, data: "high-priority item"))
            try queue.putNowait(Entry(priority: 10, data: "low-priority item"))
            var taken: [String] = []
            for _ in 0..<3 { taken.append(try await queue.get().data) }
            #expect(taken == ["high-priority item", "medium-priority item", "low-priority item"])
        }
    }

    /// When Tornado's IOLoop closes, a pending future stays pending forever; a Torus
    /// waiter throws `.loopShutDown` when its loop shuts down.
    @Test(arguments: TestBackend.allCases)
    func waitersHearTheLoopShutDown(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            // Not a nested withTestLoop: a second shared hold of the descriptor gate would
            // deadlock behind a test waiting for it exclusively.
            let other = try backend.makeLoop()
            // Started on `other`'s thread, not Swift's global pool, which tests waiting for
            // child processes can keep busy for seconds.
            let waiter = Task(executorPreference: other) {
                try await other.run {
                    let condition = try Condition()
                    return try await condition.wait()
                }
            }
            #expect(await waitUntil(other) { $0.operationSlotsInUse > 0 })
            await other.shutdown()
            let error = await torusError { try await waiter.value }
            #expect(error == TorusError(.condition, .loopShutDown))
        }
    }
}
