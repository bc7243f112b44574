import Glibc
import SystemPackage
import Testing

@testable import Torus

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct TimerTests {
    @Test(arguments: TestBackend.allCases)
    func sleepForWaitsAtLeastTheDuration(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            for duration in [Duration.milliseconds(1), .milliseconds(20)] {
                let start = ContinuousClock.now
                try await loop.sleep(for: duration)
                #expect(ContinuousClock.now - start >= duration)
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func sleepUntilWakesAtOrAfterTheDeadline(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let deadline = ContinuousClock.now + .milliseconds(20)
            try await loop.sleep(until: deadline)
            #expect(ContinuousClock.now >= deadline)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func zeroNegativeAndPastSleepsReturn(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try await loop.sleep(for: .zero)
            try await loop.sleep(for: .seconds(-5))
            try await loop.sleep(for: .nanoseconds(1))
            try await loop.sleep(until: .now - .seconds(5))
            try await loop.sleep(until: .now)
            let statistics = await loop.statistics
            #expect(statistics.operationSlotsInUse == 0)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func sleepsFromAnotherThreadHopToTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let deadline = ContinuousClock.now + .milliseconds(5)
            try await offLoop {
                try await loop.sleep(for: .milliseconds(1))
                try await loop.sleep(until: deadline)
            }
            #expect(ContinuousClock.now >= deadline)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func concurrentSleepsWakeShortestFirst(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let order = LoopConfined<[Int]>([], on: loop)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Started longest first; 30 ms apart (scaled), so no scheduler can swap them.
                for index in (0..<4).reversed() {
                    group.addTask {
                        try await loop.sleep(for: .milliseconds(30 * (index + 1)).scaled)
                        order.value.append(index)
                    }
                }
                try await group.waitForAll()
            }
            #expect(order.value == [0, 1, 2, 3])
        }
    }

    /// A sleep is an entry in the loop's timer heap on both reactors: no SQE reaches the
    /// kernel (the only SQEs are the wake eventfd's reads, re-armed after each wake-up
    /// from another thread), and a fired timer leaves no entry behind.
    @Test(arguments: TestBackend.allCases)
    func sleepsSubmitNothingToTheKernel(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            // One turn first, which submits the wake read re-armed when the test started.
            try await loop.sleep(for: .milliseconds(1))
            let before = await loop.statistics
            for _ in 0..<10 {
                try await loop.sleep(for: .milliseconds(1))
                try await loop.sleep(until: .now + .milliseconds(1))
            }
            let after = await loop.statistics
            switch backend {
            case .ioUring:
                #expect(after.operationsSubmitted - before.operationsSubmitted <= after.wakeups - before.wakeups)
            case .epoll:
                // No epoll_ctl and no attempt: the only system calls are the waits.
                #expect(after.systemCalls - before.systemCalls == after.kernelEnters - before.kernelEnters)
            }
            #expect(after.kernelEnters > before.kernelEnters, "the loop waited in the kernel")
            #expect(after.timersPending == 0)
        }
    }

    /// A sleep whose deadline has passed returns without a system call.
    @Test(arguments: TestBackend.allCases)
    func pastDeadlinesMakeNoSystemCall(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let before = await loop.statistics
            try await loop.sleep(for: .zero)
            try await loop.sleep(for: .seconds(-1))
            try await loop.sleep(until: .now - .milliseconds(1))
            let after = await loop.statistics
            #expect(after.systemCalls == before.systemCalls)
            #expect(after.timersPending == 0)
        }
    }

    /// A sleep or past-deadline sleep in a cancelled task throws at once.
    @Test(arguments: TestBackend.allCases)
    func sleepsInACancelledTaskThrow(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let sleeper = Task(executorPreference: loop) {
                withUnsafeCurrentTask { $0?.cancel() }
                await #expect(throws: CancellationError.self) { try await loop.sleep(for: .zero) }
                await #expect(throws: CancellationError.self) { try await loop.sleep(for: .seconds(60)) }
            }
            await sleeper.value
            #expect(await loop.statistics.operationSlotsInUse == 0)
        }
    }

    /// Cancelled sleepers throw CancellationError and release their slots; their heap
    /// entries go stale and are compacted away long before their 60 s deadlines.
    @Test(arguments: TestBackend.allCases)
    func cancelledSleepsReleaseSlotsAndTheirEntriesAreCompacted(_ backend: TestBackend) async throws {
        let count = 2_000
        try await withTestLoop(backend) { loop in
            let cancelled = LoopConfined(0, on: loop)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask {
                        do {
                            try await loop.sleep(for: .seconds(60) + .milliseconds(index))
                        } catch is CancellationError {
                            cancelled.value += 1
                        }
                    }
                }
                let armed = await waitUntil(loop) { $0.operationSlotsInUse == count && $0.timersPending == count }
                try #require(armed, "not every sleep was armed")
                group.cancelAll()
                try await group.waitForAll()
            }
            #expect(cancelled.value == count)
            let statistics = await loop.statistics
            #expect(statistics.operationSlotsInUse == 0)
            #expect(statistics.timersPending <= TimerQueue.compactionThreshold)
        }
    }

    /// Timed waits that end early (an event set before their 60 s timeout) leave stale
    /// heap entries; round after round the heap stays bounded and every slot is freed.
    @Test(arguments: TestBackend.allCases)
    func earlyFinishedTimedWaitsKeepTheHeapBounded(_ backend: TestBackend) async throws {
        let waiters = 1_000
        try await withTestLoop(backend) { loop in
            let event = try Event(loop: loop)
            for _ in 0..<5 {
                try event.clear()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<waiters { group.addTask { try await event.wait(timeout: .seconds(60)) } }
                    let waiting = await waitUntil(loop) { $0.operationSlotsInUse == waiters }
                    try #require(waiting, "not every waiter suspended")
                    #expect(await loop.statistics.timersPending >= waiters)
                    try event.set()
                    try await group.waitForAll()
                }
                let statistics = await loop.statistics
                #expect(statistics.operationSlotsInUse == 0)
                #expect(statistics.timersPending <= TimerQueue.compactionThreshold)
            }
        }
    }

    /// Timed waits still time out when their deadline is an entry among many sleeps.
    @Test(arguments: TestBackend.allCases)
    func timedWaitsTimeOutAmongSleeps(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let event = try Event(loop: loop)
            let order = LoopConfined<[String]>([], on: loop)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await loop.sleep(for: .milliseconds(60).scaled)
                    order.value.append("sleep 60")
                }
                group.addTask {
                    await expectTorusError(.event, .timedOut) {
                        try await event.wait(timeout: .milliseconds(30).scaled)
                    }
                    order.value.append("wait 30")
                }
                group.addTask {
                    try await loop.sleep(for: .milliseconds(1).scaled)
                    order.value.append("sleep 1")
                }
                try await group.waitForAll()
            }
            #expect(order.value == ["sleep 1", "wait 30", "sleep 60"])
            #expect(await loop.statistics.timersPending == 0)
        }
    }

    /// 10,000 timers created in shuffled order, deadlines 100 µs apart over 1 s, wake in
    /// deadline order.
    ///
    /// Runs alone (the descriptor gate held exclusively): `sleep(until:)` converts its
    /// deadline with two clock reads, and a loop thread preempted between them arms its
    /// timer early, by up to a scheduler time slice, which on a loaded machine swaps
    /// deadlines 100 µs apart (see `sleepUntilConvertsTheDeadlineExactlyUnderContention`).
    @Test(arguments: TestBackend.allCases)
    func tenThousandTimersFireInDeadlineOrder(_ backend: TestBackend) async throws {
        let count = 10_000
        let spacing = Duration.microseconds(100)
        try await withTestLoop(backend, access: .exclusive) { loop in
            var generator = SplitMix64(seed: 0x7131_3E25)
            let creationOrder = Array(0..<count).shuffled(using: &generator)
            let woken = LoopConfined<[Int]>([], on: loop)
            woken.value.reserveCapacity(count)
            // Far enough ahead that every timer is armed before the first deadline, even
            // in a debug build on a loaded machine; checked below.
            let start = ContinuousClock.now + .seconds(2)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in creationOrder {
                    group.addTask {
                        try await loop.sleep(until: start + spacing * index)
                        woken.value.append(index)
                    }
                }
                let armed = await waitUntil(loop) { $0.operationSlotsInUse == count }
                try #require(armed, "not every timer was armed")
                try #require(
                    ContinuousClock.now < start,
                    "arming \(count) timers took longer than the 2 s head start; the order check would be void"
                )
                try await group.waitForAll()
            }
            #expect(woken.value.count == count)
            let outOfOrder = zip(woken.value, woken.value.dropFirst()).filter { $0.0 > $0.1 }
            #expect(
                outOfOrder.isEmpty, "\(outOfOrder.count) out-of-order wakes, first: \(outOfOrder.prefix(5))"
            )
            #expect(Set(woken.value).count == count)
        }
    }

    /// `sleep(until:)` must arm the kernel timer at the deadline itself. ContinuousClock
    /// is CLOCK_BOOTTIME on Linux, the clock the timer uses, so the deadline needs no
    /// conversion; converting it through two separate clock reads errs by however long
    /// the thread was preempted between them. Forced here by a busy thread sharing the
    /// converting thread's CPU for half a second.
    @Test
    func sleepUntilConvertsTheDeadlineExactlyUnderContention() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        // The instant's own value: CLOCK_BOOTTIME time since boot (checked against it).
        let exact = unsafeBitCast(deadline, to: Duration.self)
        let offset = exact - .seconds(10) - bootTimeNow()
        try #require(
            offset < .milliseconds(100) && offset > .milliseconds(-100),
            "ContinuousClock is not CLOCK_BOOTTIME")
        let worst = try await onSharedCPU(for: .milliseconds(500)) {
            let armed = Duration.nanoseconds(Int64(BootClock.nanoseconds(at: deadline)))
            return armed > exact ? armed - exact : exact - armed
        }
        // Deadlines 50 µs apart must keep their order.
        #expect(worst < .microseconds(50), "a deadline was armed \(worst) away from itself")
    }
}

/// Runs `body` over and over for `duration` on a new thread that shares its CPU with a
/// busy thread, so the scheduler preempts it every time slice; returns the largest result.
private func onSharedCPU(
    for duration: Duration, _ body: @escaping @Sendable () -> Duration
) async throws -> Duration {
    let cpu = try #require(firstAllowedCPU())
    let stop = Flag()
    let done = Flag()
    let worst = DurationBox()
    let burner = try startThread(pinnedTo: cpu) {
        while !stop.isSet {}
    }
    let measurer = try startThread(pinnedTo: cpu) {
        let end = ContinuousClock.now + duration
        var largest = Duration.zero
        while ContinuousClock.now < end { largest = max(largest, body()) }
        worst.value = largest
        done.set()
    }
    // Bounded: the measurer stops after `duration`; give it ten times that.
    for _ in 0..<1000 where !done.isSet { try await Task.sleep(for: duration / 100) }
    stop.set()
    pthread_join(measurer, nil)
    pthread_join(burner, nil)
    return worst.value
}

/// A duration written by one thread before a flag, read by another after it.
private final class DurationBox: @unchecked Sendable {
    // @unchecked Sendable: written once by the measuring thread before it sets `done`,
    // read after `done` is seen and the thread joined.
    var value = Duration.zero
}

private final class ThreadBody {
    let cpu: Int32
    let run: @Sendable () -> Void
    init(cpu: Int32, run: @escaping @Sendable () -> Void) {
        self.cpu = cpu
        self.run = run
    }
}

/// Starts a thread that pins itself to `cpu`, then runs `body`.
private func startThread(pinnedTo cpu: Int32, _ body: @escaping @Sendable () -> Void) throws -> pthread_t {
    let context = Unmanaged.passRetained(ThreadBody(cpu: cpu, run: body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(
        &thread, nil,
        { context in
            let body = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
            var set = cpu_set_t()
            withUnsafeMutableBytes(of: &set) { $0[Int(body.cpu / 8)] |= UInt8(1 << (body.cpu % 8)) }
            _ = schedSetAffinity?(0, MemoryLayout<cpu_set_t>.size, &set)
            body.run()
            return nil
        }, context)
    guard result == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(context).release()
        throw SystemCallError("pthread_create", errno: Errno(rawValue: result))
    }
    return thread
}

/// sched_{get,set}affinity(2): Glibc's module map hides them (they need _GNU_SOURCE).
private typealias AffinityCall =
    @convention(c) (pid_t, Int, UnsafeMutablePointer<cpu_set_t>) -> Int32
private let schedSetAffinity = dlsym(nil, "sched_setaffinity").map {
    unsafeBitCast($0, to: AffinityCall.self)
}
private let schedGetAffinity = dlsym(nil, "sched_getaffinity").map {
    unsafeBitCast($0, to: AffinityCall.self)
}

/// The lowest-numbered CPU this process may run on.
private func firstAllowedCPU() -> Int32? {
    var set = cpu_set_t()
    guard let schedGetAffinity, schedGetAffinity(0, MemoryLayout<cpu_set_t>.size, &set) == 0 else {
        return nil
    }
    return withUnsafeBytes(of: set) { bytes in
        for cpu in 0..<(bytes.count * 8) where bytes[cpu / 8] & UInt8(1 << (cpu % 8)) != 0 {
            return Int32(cpu)
        }
        return nil
    }
}

/// CLOCK_BOOTTIME now, as a duration since boot.
private func bootTimeNow() -> Duration {
    var now = timespec()
    clock_gettime(CLOCK_BOOTTIME, &now)
    return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
}
