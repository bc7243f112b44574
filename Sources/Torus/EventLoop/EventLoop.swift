import CLiburing
import DequeModule
import Dispatch
import Logging
import Synchronization
import SystemPackage

/// A thread that owns a reactor (io_uring or epoll) and a job queue, and is the Swift
/// `TaskExecutor` its tasks run on.
///
/// Each turn the loop runs the ready jobs, lets its reactor submit what they started
/// and wait, blocking only when no job is ready, and resumes the tasks whose operations
/// finished. Tasks pinned to the loop (``run(_:)``, `Task(executorPreference:)`) resume
/// without crossing threads, which is 27-40x cheaper than resuming on Swift's global
/// pool (docs/ARCHITECTURE.md).
///
/// The loop keeps the jobs, the operation slots, suspension, cancellation and timers;
/// how an operation runs is its reactor's business (``Reactor``).
///
/// Create one with ``init(configuration:)`` or use ``withEventLoop(configuration:_:)``;
/// end it with ``shutdown()``, which cancels what is in flight and closes what it owns.
public final class EventLoop: @unchecked Sendable {
    // @unchecked Sendable: every `var` below is touched only on the loop thread
    // (`isCurrent` guards the entry points); what other threads share is `remote`
    // (a Mutex), `wakePending` and `lifecycle` (atomics), and immutable `let`s.

    /// How this loop was built.
    public let configuration: Configuration
    /// The reactor this loop runs on: `.ioUring` or `.epoll`, never `.automatic`.
    public let backend: Backend
    let reactor: AnyReactor
    @exclusivity(unchecked) var slots: OperationSlots
    @exclusivity(unchecked) var ready = Deque<ScheduledJob>()
    @exclusivity(unchecked) var timers = TimerQueue()
    @exclusivity(unchecked) var counters = LoopStatistics()
    @exclusivity(unchecked) var descriptors: [Int32: Descriptor] = [:]
    @exclusivity(unchecked) var remoteSpare = RemoteWork()
    /// The address of the task whose job the loop is running (a task is its own job);
    /// ``TaskCancellationScope`` compares it with its owner's.
    @exclusivity(unchecked) var runningTask: UInt = 0
    /// The open ``TaskCancellationScope`` found last, and its owner.
    @exclusivity(unchecked) var cachedScope: TaskCancellationScope.CachedScope?
    /// A closed ``TaskCancellationScope`` nothing else holds, for the next ``run(_:)`` to
    /// reopen instead of allocating one; dropped when the loop thread ends (the scope
    /// holds the loop).
    @exclusivity(unchecked) var spareScope: TaskCancellationScope?
    /// What to run when a graceful shutdown begins, by owner (``addQuiesceHandler(for:_:)``).
    @exclusivity(unchecked) var quiesceHandlers: [ObjectIdentifier: @Sendable () async -> Void] = [:]
    /// Made by the first receive into the pool (``receiveBuffers()``).
    @exclusivity(unchecked) var receiveBufferPool: ReceiveBufferPool?

    let remote = Mutex(RemoteWork())
    let wakePending = Atomic<Bool>(false)
    let lifecycle = Atomic<UInt8>(Lifecycle.running.rawValue)
    /// The eventfd other threads write to wake the loop (``wake()``); its reactor reads it.
    let wakeFD: Int32
    /// This loop's number in ``EventLoopRegistry`` (set once, right after init's checks).
    private(set) var number: UInt32 = 0
    /// The facade actors use as their serial executor (``serialExecutor``).
    public let serialExecutor: LoopSerialExecutor
    let logger = Logger(label: "torus.eventloop")
    private var thread = pthread_t()
    /// Set by the one ``joinThread()`` that joins the (joinable) loop thread.
    private let threadJoined = Atomic<Bool>(false)

    /// Starts a loop thread on the configured backend (io_uring, or epoll).
    ///
    /// - Throws: ``TorusError`` (operation `.eventLoop`): `.invalidArgument` for a bad
    ///   configuration value (``Configuration/validate()``); `.ioUringUnavailable` when
    ///   io_uring was asked for explicitly and cannot be used (EPERM under a seccomp
    ///   filter, ENOSYS on an old kernel, the `io_uring_disabled` sysctl); `.system`
    ///   when the reactor cannot be set up.
    public init(configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        self.configuration = configuration
        backend = try configuration.backend.resolved()
        // Non-blocking for epoll, which drains it with read(2); io_uring reads it async.
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC) | (backend == .epoll ? Int32(EFD_NONBLOCK) : 0))
        if wakeFD < 0 { throw TorusError(.eventLoop, .system(.last)) }
        do {
            switch backend {
            case .epoll:
                reactor = .selector(try SelectorReactor(wakeFD: wakeFD, configuration: configuration))
            default:
                reactor = .completion(try CompletionReactor(wakeFD: wakeFD, configuration: configuration))
            }
        } catch {
            close(wakeFD)
            throw TorusError(.eventLoop, .system(error))
        }
        slots = OperationSlots(initialCapacity: configuration.initialOperationSlots)
        serialExecutor = LoopSerialExecutor()
        serialExecutor.loop = self
        number = EventLoopRegistry.register(self)
        try startThread()
    }

    deinit {
        EventLoopRegistry.unregister(number)
        // Closed here, not at exit: another thread may still be inside `wake()`.
        close(wakeFD)
    }

    /// The loop running the calling thread, or nil when called off every loop.
    public static var current: EventLoop? {
        guard let pointer = torus_current_loop() else { return nil }
        return Unmanaged<EventLoop>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Whether the caller runs on this loop's thread.
    public var isCurrent: Bool {
        torus_current_loop() == Unmanaged.passUnretained(self).toOpaque()
    }

    /// Whether ``shutdown()`` has begun; new operations then throw `.loopShutDown`.
    public var isShuttingDown: Bool { lifecycle.load(ordering: .relaxed) != Lifecycle.running.rawValue }

    /// Runs `body` on this loop, with the loop as the task executor preference: the
    /// body and every child task it creates run here without thread hops.
    ///
    /// The body's own task gets one cancellation handler for all its operations on this
    /// loop, which makes each of them cheaper than in a task without one; a child task
    /// that does many operations can call `run` again to get its own.
    ///
    /// - Throws: ``TorusError`` (`.eventLoop`) `.loopShutDown` when the loop has begun
    ///   shutting down (the body would otherwise run on Swift's global pool); what `body`
    ///   throws.
    public func run<Result: Sendable>(
        _ body: @Sendable () async throws -> Result
    ) async throws -> Result {
        // Always hops (even on the loop): the preference is what pins the body's children.
        try await hop(.eventLoop) { try await TaskCancellationScope.withScope(on: self, body) }
    }

    /// The loop's counters. On the loop this is a plain read; elsewhere it hops there.
    public var statistics: LoopStatistics {
        get async {
            if isCurrent { return snapshot() }
            return await withTaskExecutorPreference(self) { self.snapshot() }
        }
    }

    func snapshot() -> LoopStatistics {
        var statistics = counters
        switch reactor {
        case .completion(let reactor): reactor.record(into: &statistics)
        case .selector(let reactor): reactor.record(into: &statistics)
        }
        statistics.operationSlotsInUse = slots.inUse
        statistics.timersPending = timers.count
        statistics.descriptorsOwned = descriptors.count
        statistics.receiveBuffersLent = receiveBufferPool?.lent ?? 0
        statistics.receiveBufferShortages = receiveBufferPool?.shortages ?? 0
        return statistics
    }

    /// The loop thread's CPU time so far (user + system), in nanoseconds; readable from
    /// any thread. Benchmarks divide it by round trips.
    public var threadCPUNanoseconds: UInt64 { torus_pthread_cpu_ns(thread) }

    // MARK: - Thread

    private func startThread() throws {
        let start = ThreadStart(loop: self)
        let context = Unmanaged.passRetained(start).toOpaque()
        let result = pthread_create(
            &thread, nil,
            { context in
                let start = Unmanaged<ThreadStart>.fromOpaque(context!).takeRetainedValue()
                start.loop.threadMain(start)
                return nil
            }, context)
        if result != 0 {
            Unmanaged<ThreadStart>.fromOpaque(context).release()
            throw TorusError(.eventLoop, .system(Errno(rawValue: result)))
        }
        start.started.wait()
        if let error = start.error.withTSanVisibleLock({ $0 }) {
            pthread_join(thread, nil)
            throw error
        }
    }

    /// Waits for the loop thread, which has exited its turns, to end; once, and never on
    /// the loop thread itself (a shutdown called there leaves the thread to end alone).
    func joinThread() {
        guard pthread_equal(pthread_self(), thread) == 0, !threadJoined.exchange(true, ordering: .relaxed) else {
            return
        }
        pthread_join(thread, nil)
    }

    private func threadMain(_ start: ThreadStart) {
        torus_set_thread_name(configuration.threadName)
        Self.leaveProcessSignalsToOtherThreads()
        do throws(Errno) {
            if let cpu = configuration.cpu {
                let result = torus_pin_thread_to_cpu(Int32(cpu))
                if result < 0 { throw Errno(rawValue: -result) }
            }
            switch reactor {
            case .completion(let reactor): try reactor.begin(on: self)
            case .selector(let reactor): try reactor.begin(on: self)
            }
        } catch {
            start.error.withTSanVisibleLock { $0 = TorusError(.eventLoop, .system(error)) }
            start.started.signal()
            return
        }
        torus_set_current_loop(Unmanaged.passUnretained(self).toOpaque())
        start.started.signal()
        // The thread keeps the loop alive until it exits.
        withExtendedLifetime(self) {
            runUntilExit()
            spareScope = nil
        }
    }

    /// Blocks the signals a process is sent from outside (SIGINT, SIGTERM, SIGHUP,
    /// SIGQUIT, SIGUSR1, SIGUSR2) on the calling loop thread, so the kernel hands them to
    /// another thread of the process. A loop thread waits in `io_uring_enter`, a system
    /// call libc does not wrap: under ThreadSanitizer a handler for a signal that lands
    /// there runs only at the thread's next wrapped libc call, which an idle loop never
    /// makes (seen: torus-bench servers that never answered SIGTERM under
    /// `make test-tsan`). Faults (SIGSEGV, SIGPIPE, ...) stay unblocked: they belong to
    /// the thread that caused them.
    private static func leaveProcessSignalsToOtherThreads() {
        var signals = Signal.blockedOnLoopThreads.mask
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    private func runUntilExit() {
        // The reactor is unpacked once, not on every turn (a retain and a release each).
        switch reactor {
        case .completion(let reactor): runTurns(reactor)
        case .selector(let reactor): runTurns(reactor)
        }
        exit()
    }

    /// The loop's turns until it has drained after shutdown: run the ready jobs, then
    /// let the reactor wait and deliver, blocking only when no job (or reactor work) is
    /// ready and then no later than the earliest timer, then fire the timers due.
    @inline(__always)
    private func runTurns<Driven: Reactor>(_ reactor: Driven) {
        while true {
            runReadyJobs()
            if lifecycle.load(ordering: .relaxed) == Lifecycle.draining.rawValue,
                slots.inUse == 0, ready.isEmpty
            {
                return
            }
            let deadline = ready.isEmpty && !reactor.hasReadyWork ? (nextTimerDeadline() ?? .max) : 0
            counters.completionsReaped &+= UInt64(reactor.pump(self, until: deadline))
            expireDueTimers()
        }
    }

    private func runReadyJobs() {
        let taskExecutor = asUnownedTaskExecutor()
        var budget = configuration.jobBudgetPerTurn
        while budget > 0, let scheduled = ready.popFirst() {
            budget -= 1
            counters.jobsRun &+= 1
            runningTask = unsafeBitCast(scheduled.job, to: UInt.self)
            if scheduled.isolatedToSerialExecutor {
                scheduled.job.runSynchronously(
                    isolatedTo: serialExecutor.asUnownedSerialExecutor(), taskExecutor: taskExecutor)
            } else {
                scheduled.job.runSynchronously(on: taskExecutor)
            }
        }
    }

    /// One thing the waiter of `slot` waited for happened; after the last (an io_uring
    /// operation with a linked timeout waits for two CQEs), frees the slot and resumes
    /// the waiter. A timer the waiter still had goes stale.
    @inline(__always)
    func finishOne(_ slot: UnsafeMutablePointer<OperationSlot>, id: OperationID) {
        if case .kernel(let left) = slot.pointee.waiting, left > 1 {
            slot.pointee.waiting = .kernel(completionsLeft: left &- 1)
            return
        }
        let completion = Completion(
            result: slot.pointee.result, flags: slot.pointee.flags,
            cancelled: slot.pointee.cancelRequested, timedOut: slot.pointee.timedOut)
        let continuation = slot.pointee.continuation
        let timerPending = slot.pointee.timerPending
        slots.release(id.index)
        if timerPending { timerWentStale() }
        continuation?.resume(returning: completion)
    }
}

extension EventLoop {
    enum Lifecycle: UInt8 {
        case running, draining, exited
    }

    /// A job and how to run it: as a task on this executor, or isolated to the
    /// ``serialExecutor`` facade (an actor's job).
    struct ScheduledJob {
        var job: UnownedJob
        var isolatedToSerialExecutor: Bool
    }

    /// What other threads hand the loop, under `remote`'s lock.
    struct RemoteWork: ~Copyable {
        var jobs: [ScheduledJob] = []
        var cancellations: [OperationID] = []
        var poolResults: [PoolResult] = []
        var shutdownWaiters: [UnsafeContinuation<Void, Never>] = []
        var stopRequested = false
        var exited = false
    }

    /// What the starting thread and the loop thread share while the loop starts.
    final class ThreadStart: Sendable {
        let loop: EventLoop
        let started = DispatchSemaphore(value: 0)
        let error = Mutex<TorusError?>(nil)

        init(loop: EventLoop) { self.loop = loop }
    }
}
