import Glibc
import Synchronization
import Testing

@testable import Torus

/// An actor that lives on a loop: its `unownedExecutor` is the loop's serial executor.
actor LoopActor {
    let loop: EventLoop
    private var calls = 0

    init(loop: EventLoop) { self.loop = loop }

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.serialExecutor.asUnownedSerialExecutor()
    }

    /// Whether the call ran on the loop thread, and how many calls came before it.
    func record() -> (onLoop: Bool, current: Bool, count: Int) {
        calls += 1
        return (loop.isCurrent, EventLoop.current === loop, calls)
    }

    /// Sleeps on the loop from inside the actor, then reports where it resumed.
    func sleepThenCheck() async throws -> Bool {
        try await loop.sleep(for: .milliseconds(1))
        return loop.isCurrent
    }

    /// A no-op from inside the actor (the no-op runs where it is called, the loop).
    func nopThenCheck() async throws -> Bool {
        try await loop.nop()
        return loop.isCurrent
    }
}

/// A default actor: on Swift's global pool, unless its caller's task prefers a loop.
actor PoolActor {
    /// A no-op on `loop` from inside the actor; returns whether the actor's code after it
    /// ran on the loop thread (from a task on the pool it must not: the no-op hops there
    /// and back).
    func nop(on loop: EventLoop) async throws -> Bool {
        try await loop.nop()
        return loop.isCurrent
    }
}

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct EventLoopTests {
    @Test(arguments: TestBackend.allCases)
    func runExecutesOnTheLoopThread(_ backend: TestBackend) async throws {
        #expect(EventLoop.current == nil)
        try await withTestLoop(backend) { loop in
            #expect(loop.isCurrent)
            #expect(EventLoop.current === loop)
            // Still there after a suspension that completes through the kernel.
            try await loop.nop()
            #expect(loop.isCurrent)
            #expect(loop.configuration.threadName == backend.configuration.threadName)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func childTasksInheritTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        guard loop.isCurrent, EventLoop.current === loop else { return false }
                        try await loop.sleep(for: .microseconds(index * 10))
                        return loop.isCurrent
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results == Array(repeating: true, count: 16))
            // An unstructured task created with the loop as preference runs there too.
            let pinned = Task(executorPreference: loop) { loop.isCurrent }
            #expect(await pinned.value)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func offLoopTasksDoNotRunOnTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let (onLoop, current) = try await offLoop { (loop.isCurrent, EventLoop.current) }
            #expect(!onLoop)
            #expect(current == nil)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func actorWithTheLoopAsSerialExecutorRunsOnTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let actor = LoopActor(loop: loop)
            // Called from the loop itself, and from a task on Swift's global pool.
            let fromLoop = await actor.record()
            let fromElsewhere = try await offLoop { await actor.record() }
            #expect(fromLoop.onLoop && fromLoop.current)
            #expect(fromElsewhere.onLoop && fromElsewhere.current)
            #expect(fromElsewhere.count == 2)
            #expect(try await actor.sleepThenCheck())
            // Many concurrent callers are serialized: every call is counted once.
            let counts = try await offLoop {
                await withTaskGroup(of: Int.self) { group in
                    for _ in 0..<50 { group.addTask { await actor.record().count } }
                    return await group.reduce(into: Set<Int>()) { $0.insert($1) }
                }
            }
            #expect(counts == Set(3...52))
            #expect(loop.serialExecutor.isIsolatingCurrentContext() == true)
            #expect(try await offLoop { loop.serialExecutor.isIsolatingCurrentContext() } == false)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func jobsFromOtherThreadsRunAndWakeTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let before = await loop.statistics
            // Plain detached tasks: each hops onto the loop for its operations.
            let results = try await offLoop {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            try await loop.nop()
                            try await loop.sleep(for: .milliseconds(1))
                            return try await loop.run { loop.isCurrent }
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
            }
            #expect(results == Array(repeating: true, count: 8))
            let after = await loop.statistics
            #expect(after.wakeups > before.wakeups)
            #expect(after.jobsRun > before.jobsRun)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func statisticsCountersMove(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let before = await loop.statistics
            // Sleeps suspend on both reactors (an epoll nop completes without a syscall); 1 ms
            // each, so that none is due before it is armed, even under a sanitizer.
            for _ in 0..<10 { try await loop.sleep(for: .milliseconds(1)) }
            let after = await loop.statistics
            #expect(after.kernelEnters >= before.kernelEnters + 10)
            #expect(after.systemCalls >= after.kernelEnters)
            #expect(after.completionsReaped >= before.completionsReaped + 10)
            #expect(after.jobsRun >= before.jobsRun + 10)
            #expect(after.staleCompletions == 0)
            #expect(after.operationSlotsInUse == 0)
            #expect(after.description.contains("slotsInUse=0"))
            // Read from another thread, the counters are the same snapshot kind.
            let remote = try await offLoop { await loop.statistics }
            #expect(remote.completionsReaped >= after.completionsReaped)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func nopAndSleepWorkFromOffTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try await offLoop {
                try await loop.nop()
                try await loop.sleep(for: .milliseconds(1))
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func shutdownEndsOperationsInFlightAndClosesDescriptors(_ backend: TestBackend) async throws {
        try await withDescriptorGate { try await shutdownWithOperationsInFlight(backend) }
    }

    private func shutdownWithOperationsInFlight(_ backend: TestBackend) async throws {
        let loop = try backend.makeLoop()
        // The peer lives on its own loop, so it can watch this one's socket close.
        let peerLoop = try backend.makeLoop()
        let listener = try await peerLoop.run { try TCPListener.bind(to: .loopbackV4) }
        let connection = try await TCPConnection.connect(to: listener.localAddress, on: loop)
        let peer = try #require(try await listener.accept())
        try await listener.close()

        let idleListener = try await loop.run { try TCPListener.bind(to: .loopbackV4) }
        let baseline = await loop.statistics
        let read = Task(executorPreference: loop) { try await connection.read(upTo: 64) }
        let accept = Task(executorPreference: loop) { try await idleListener.accept() }
        let sleep = Task(executorPreference: loop) { try await loop.sleep(for: .seconds(60)) }
        let file = Task(executorPreference: loop) {
            try await File.open("/proc/self/status", .readOnly)
        }
        let openFile = try await file.value  // owned by the loop, never closed by the test
        // The read, the sleep, and the accept's multishot accept and waiter.
        #expect(await waitUntil(loop) { $0.operationSlotsInUse == baseline.operationSlotsInUse + 4 })
        #expect(await loop.statistics.descriptorsOwned == 3)

        await loop.shutdown()
        #expect(loop.isShuttingDown)
        await #expect(throws: TorusError(.read, .loopShutDown)) { try await read.value }
        await #expect(throws: TorusError(.sleep, .loopShutDown)) { try await sleep.value }
        await #expect(throws: TorusError(.accept, .loopShutDown)) { try await accept.value }
        let statistics = await loop.statistics
        #expect(statistics.descriptorsOwned == 0)
        #expect(statistics.operationSlotsInUse == 0)
        // The socket really was closed: the peer reads end of stream.
        #expect(try await peer.read(upTo: 16, timeout: .seconds(10)) == [])
        try await peer.close()
        // Handles the loop closed at shutdown now report the shut-down loop.
        await expectTorusError(.read, .loopShutDown) { try await connection.read(upTo: 1) }
        await expectTorusError(.stat, .loopShutDown) { try await openFile.stat() }
        await expectTorusError(.accept, .loopShutDown) { try await idleListener.accept() }
        await expectTorusError(.close, .loopShutDown) { try await idleListener.close() }

        // Shutting down again is fine.
        await loop.shutdown()
        await loop.shutdown()
        await expectNoLeaks(on: loop)
        await expectNoLeaks(on: peerLoop)
        await peerLoop.shutdown()
    }

    @Test(arguments: TestBackend.allCases)
    func operationsAfterShutdownThrowLoopShutDown(_ backend: TestBackend) async throws {
        try await withDescriptorGate { try await operationsAfterShutdown(backend) }
    }

    private func operationsAfterShutdown(_ backend: TestBackend) async throws {
        let loop = try backend.makeLoop()
        await loop.shutdown()
        #expect(loop.isShuttingDown)
        await expectTorusError(.nop, .loopShutDown) { try await loop.nop() }
        await expectTorusError(.sleep, .loopShutDown) { try await loop.sleep(for: .milliseconds(1)) }
        await expectTorusError(.sleep, .loopShutDown) {
            try await loop.sleep(until: .now + .seconds(1))
        }
        await expectTorusError(.connect, .loopShutDown) {
            try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: 9)!, on: loop)
        }
        await expectTorusError(.open, .loopShutDown) {
            try await File.open("/proc/self/status", .readOnly, on: loop)
        }
        // A task pinned to the exited loop still runs (on the global pool), off the loop.
        let ran = await Task(executorPreference: loop) { loop.isCurrent }.value
        #expect(!ran)
        await expectNoLeaks(on: loop)
    }

    /// `shutdown()` is documented as safe to call from the loop's own thread.
    @Test(
        arguments: TestBackend.allCases)
    func shutdownFromTheLoopItselfCompletes(_ backend: TestBackend) async throws {
        try await withDescriptorGate { try await shutdownFromTheLoop(backend) }
    }

    private func shutdownFromTheLoop(_ backend: TestBackend) async throws {
        let loop = try backend.makeLoop()
        let sleeper = Task(executorPreference: loop) { try await loop.sleep(for: .seconds(60)) }
        #expect(await waitUntil(loop) { $0.operationSlotsInUse == 1 })
        let returned = Flag()
        let shutdown = Task(executorPreference: loop) {
            await loop.shutdown()
            returned.set()
        }
        await #expect(throws: TorusError(.sleep, .loopShutDown)) { try await sleeper.value }
        #expect(loop.isShuttingDown)
        // Bounded wait (10 s): a shutdown() that never returns must fail, not hang the run.
        for _ in 0..<1000 where !returned.isSet {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(returned.isSet, "shutdown() called on the loop never returned")
        if returned.isSet { await shutdown.value }
    }

    @Test(arguments: TestBackend.allCases)
    func withEventLoopRunsPinnedAndShutsDown(_ backend: TestBackend) async throws {
        try await withDescriptorGate { try await withEventLoopShutsDown(backend) }
    }

    private func withEventLoopShutsDown(_ backend: TestBackend) async throws {
        let captured = try await withEventLoop(configuration: backend.configuration) { loop in
            #expect(loop.isCurrent)
            try await loop.nop()
            return loop
        }
        #expect(captured.isShuttingDown)
        await expectNoLeaks(on: captured)
        // It shuts the loop down when the body throws, too, and rethrows the error.
        struct Failure: Error, Equatable {}
        let thrownFrom = LoopBox()
        await #expect(throws: Failure()) {
            try await withEventLoop(configuration: backend.configuration) { loop in
                thrownFrom.set(loop)
                throw Failure()
            }
        }
        #expect(try #require(thrownFrom.get()).isShuttingDown)
    }

    @Test(arguments: TestBackend.allCases)
    func nopRunsFromActorsOnAndOffTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let onLoopActor = try await LoopActor(loop: loop).nopThenCheck()
            // Called from a task without the loop as its executor preference.
            let onPoolActor = try await offLoop { try await PoolActor().nop(on: loop) }
            #expect(onLoopActor)
            #expect(!onPoolActor)
            #expect(await loop.statistics.operationSlotsInUse == 0)
        }
    }
}
