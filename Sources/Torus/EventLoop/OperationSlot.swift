import CLiburing

/// Per-operation state, preallocated and reused: nothing is allocated per operation.
///
/// A slot is either an SQE-backed operation a task awaits (one CQE, or two with a
/// linked timeout), an operation whose CQEs go to a ``CompletionSink`` (multishot, or a
/// callback operation no task waits for), or a pure waiter completed by the loop itself
/// (an accept waiting for the next connection).
struct OperationSlot {
    var generation: UInt32 = 1
    var inUse = false
    /// Whether an SQE for this slot reached the ring (so cancelling needs ASYNC_CANCEL).
    var submitted = false
    /// CQEs still expected before the waiter may resume (2 with a linked timeout).
    var pendingCompletions: UInt8 = 0
    var cancelRequested = false
    var timedOut = false
    /// The waiter has an entry in the loop's ``TimerQueue`` that has not fired: a sleep
    /// or a deadline. Released with it set, the entry goes stale.
    var timerPending = false
    var result: Int32 = 0
    var flags: UInt32 = 0
    var continuation: UnsafeContinuation<Completion, Never>?
    /// Receives every CQE of a multishot or callback operation.
    var sink: (any CompletionSink)?
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
        inUse = false
        submitted = false
        pendingCompletions = 0
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

/// The receiver of the completions of operations no task waits for: every CQE of a
/// multishot operation (`IORING_CQE_F_MORE`), or the one CQE of a callback operation.
protocol CompletionSink: AnyObject {
    /// Called on the loop thread for each CQE of operation `id`; the last one lacks
    /// `IORING_CQE_F_MORE`, and by then the slot is free (``EventLoop/cancel(_:)`` on
    /// `id` does nothing).
    func receive(result: Int32, flags: UInt32, id: OperationID, loop: EventLoop)
}
