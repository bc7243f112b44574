import CLiburing

/// Per-operation state, preallocated and reused: nothing is allocated per operation.
///
/// What the slot's operation waits for is ``waiting``; the flags beside it say what
/// happened to it on the way (a cancel was asked for, its deadline passed, it holds a
/// timer). The hot fields (generation to continuation) share the slot's first cache line.
struct OperationSlot {
    /// What a slot's operation waits for, which says who ends it and how cancelling it
    /// works (``EventLoop/cancel(_:)``).
    enum Waiting: Equatable {
        /// In the table's free list.
        case free
        /// Allocated, not started yet: a cancel only records itself, and the operation
        /// ends with -ECANCELED as it starts.
        case starting
        /// A task waits for the loop itself to resume it (a sleep, an accept or a close
        /// waiting its turn, epoll readiness): a cancel resumes it at once.
        case loop
        /// A task waits for `completionsLeft` io_uring CQEs (2 with a linked timeout): a
        /// cancel asks the kernel (ASYNC_CANCEL) and still waits for them.
        case kernel(completionsLeft: UInt8)
        /// A task waits for a blocking call on the selector's pool thread, which may be
        /// using its buffer: a cancel waits for the call to return.
        case pool
        /// Results go to ``OperationSlot/sink`` (multishot operations, and operations no
        /// task waits for): a cancel asks the kernel on io_uring, and ends it at once on
        /// epoll.
        case sink
    }

    var generation: UInt32 = 1
    var waiting = Waiting.free
    var cancelRequested = false
    var timedOut = false
    /// The waiter has an entry in the loop's ``TimerQueue`` that has not fired: a sleep
    /// or a deadline. Released with it set, the entry goes stale.
    var timerPending = false
    var result: Int32 = 0
    var flags: UInt32 = 0
    var continuation: UnsafeContinuation<Completion, Never>?
    /// Receives every result of a `.sink` operation.
    var sink: (any ResultSink)?
    /// Selector reactor: a sink's operation, repeated on each readiness edge (multishot)
    /// or tried again when its descriptor is ready (small operations fit the
    /// existential's inline buffer: no allocation).
    var sinkOperation: (any IOOperation)?
    /// Storage the kernel reads at submission: the duration of a linked timeout.
    var timespec = __kernel_timespec()
    /// Storage for a socket address the kernel reads (connect).
    var address = sockaddr_storage()
    var addressLength: socklen_t = 0

    /// Clears what the next operation in this slot reads. The kernel-facing storage
    /// (`timespec`, `address`) is written before every use, so its cache lines are left
    /// alone: rewriting the whole slot touched four lines per operation.
    @inline(__always)
    mutating func resetForReuse() {
        waiting = .free
        cancelRequested = false
        timedOut = false
        timerPending = false
        result = 0
        flags = 0
        continuation = nil
        sink = nil
        if sinkOperation != nil { sinkOperation = nil }
    }
}

/// The receiver of the results of operations no task waits for: each result of a
/// multishot operation (`IORING_CQE_F_MORE` while more follow), or the one result of an
/// operation a served connection started (its receive, its send).
protocol ResultSink: AnyObject {
    /// Called on the loop thread with each result of operation `id`; the last one lacks
    /// `IORING_CQE_F_MORE`, and by then the slot is free (``EventLoop/cancel(_:)`` on
    /// `id` does nothing).
    func handle(result: Int32, flags: UInt32, of id: OperationID, loop: EventLoop)
}
