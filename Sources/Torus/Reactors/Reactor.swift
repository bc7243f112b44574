import SystemPackage

/// What a reactor does for its ``EventLoop``: the contract both designs fulfil, so the
/// loop keeps its jobs, slots, suspension and cancellation and never knows how an
/// operation runs. Everything io_uring does lives in `Reactors/CompletionReactor/`,
/// everything epoll does in `Reactors/SelectorReactor/` (docs/ARCHITECTURE.md).
///
/// The loop holds its reactor as an ``AnyReactor`` and switches on it, so every call is
/// dispatched statically and specialised for the operation: the protocol states the
/// contract and is never used as an existential.
///
/// Every method runs on the loop thread.
protocol Reactor: AnyObject {
    /// Starts on the loop thread, before the first turn (io_uring: the thread becomes
    /// the ring's only submitter and the wake read is armed).
    func begin(on loop: EventLoop) throws(Errno)

    /// Waits until something finished or `deadline` passed (CLOCK_BOOTTIME nanoseconds;
    /// 0 polls, `.max` waits however long), then hands everything that finished to
    /// `loop` (waiters resumed, results delivered, the wake-up handled). Returns the
    /// completions or readiness events handled.
    func pump(_ loop: EventLoop, until deadline: UInt64) -> Int

    /// Whether the reactor has work of its own to do next turn, so the loop must not
    /// block (epoll: multishot operations that used up their budget).
    var hasReadyWork: Bool { get }

    /// Runs `operation` for the calling task and returns its completion (see
    /// ``EventLoop/submit(_:timeout:cancellable:)``).
    nonisolated(nonsending) func submit<Operation: IOOperation>(
        _ operation: Operation, on loop: EventLoop, timeout: Duration?, cancellable: Bool
    ) async -> Completion

    /// Starts `operation` for `sink`: returns its result when it finished at once (then
    /// `sink` hears nothing), else nil after passing its ID to `register`; `sink` then
    /// gets the one result later.
    func submit<Operation: IOOperation>(
        _ operation: Operation, resultTo sink: any ResultSink, on loop: EventLoop,
        register: (OperationID) -> Void
    ) -> Int32?

    /// Starts a multishot operation whose every result goes to `sink`; `register` gets
    /// its ID before any result is delivered.
    func submitMultishot<Operation: IOOperation>(
        _ operation: Operation, resultsTo sink: any ResultSink, on loop: EventLoop,
        register: (OperationID) -> Void
    )

    /// Cancels an operation this reactor runs (its slot waits for the kernel, a pool
    /// thread, or delivers to a sink): it ends through its own completion, or at once.
    func cancel(_ id: OperationID, slot: UnsafeMutablePointer<OperationSlot>, on loop: EventLoop)

    /// Cancels every operation on `fd`, which is about to be closed, and returns once
    /// each has been asked to end.
    nonisolated(nonsending) func cancelOperations(on fd: Int32, loop: EventLoop) async

    /// Forgets what the reactor knows of `fd`, which is being closed: the number will be
    /// reused, and the next descriptor with it starts afresh.
    func forget(_ fd: Int32)

    /// Extra `socket(2)` type flags the reactor needs (epoll: non-blocking sockets).
    var socketTypeFlags: Int32 { get }

    /// Adds the reactor's own counters to a snapshot of the loop's.
    func record(into statistics: inout LoopStatistics)

    /// The loop is exiting: nothing is in flight any more.
    func end()
}

/// The reactor a loop drives, one of the two designs behind the same operations.
/// A switch on it dispatches each call statically to the concrete reactor.
enum AnyReactor {
    case completion(CompletionReactor)
    case selector(SelectorReactor)
}
