/// Counters a loop keeps about itself, read with ``EventLoop/statistics``.
///
/// Tests use them for leak checks (slots and descriptors back to zero) and benchmarks
/// for syscalls per operation.
public struct LoopStatistics: Sendable, Equatable, CustomStringConvertible {
    /// SQEs the kernel consumed: operations, linked timeouts, cancellations, wake reads
    /// (io_uring; 0 on epoll).
    public var operationsSubmitted: UInt64 = 0
    /// Completions the loop handled: CQEs reaped (io_uring) or readiness events (epoll),
    /// and timers that fired.
    public var completionsReaped: UInt64 = 0
    /// Times the loop entered the kernel to submit or wait: `io_uring_enter` calls on
    /// io_uring, `epoll_wait` calls on epoll.
    public var kernelEnters: UInt64 = 0
    /// System calls the loop thread made for I/O: `io_uring_enter` on io_uring;
    /// `epoll_wait`, `epoll_ctl` and each non-blocking attempt on epoll.
    public var systemCalls: UInt64 = 0
    /// Wake-ups from other threads and loops (an eventfd read, or another io_uring
    /// loop's MSG_RING message).
    public var wakeups: UInt64 = 0
    /// Wake-ups this loop sent to other io_uring loops as MSG_RING messages (instead of
    /// eventfd writes; ``EventLoop/Configuration/wakesFromLoopsByMessage``).
    public var wakeMessagesSent: UInt64 = 0
    /// Swift jobs (task slices) the loop ran.
    public var jobsRun: UInt64 = 0
    /// Completions whose slot had been reused (ignored by the generation check).
    public var staleCompletions: UInt64 = 0
    /// Operation slots in use now.
    public var operationSlotsInUse: Int = 0
    /// Descriptors (sockets, files) the loop owns now.
    public var descriptorsOwned: Int = 0
    /// Entries in the loop's timer heap now (sleeps and waiters' deadlines), counting
    /// those whose waiter already finished and that wait for their deadline or the next
    /// rebuild to be dropped. Bounded by twice the timers still pending, or a few
    /// hundred: a leak check for timeouts on many short waits.
    public var timersPending: Int = 0
    /// Receive-pool buffers lent now, spares included: held by
    /// ``TCPConnection/receive(timeout:_:)`` bodies, or by bytes a served connection
    /// still has to send (``TCPConnection/send(_:)``).
    public var receiveBuffersLent: Int = 0
    /// Receives that found every pool buffer lent and used a spare buffer (made on the
    /// first shortages and kept, so the pool grows to the peak instead of allocating).
    public var receiveBufferShortages: UInt64 = 0

    /// Zeroed counters.
    public init() {}

    /// All counters on one line.
    public var description: String {
        "submitted=\(operationsSubmitted) reaped=\(completionsReaped) enters=\(kernelEnters) syscalls=\(systemCalls) "
            + "wakeups=\(wakeups) wakeMessages=\(wakeMessagesSent) jobs=\(jobsRun) stale=\(staleCompletions) "
            + "slotsInUse=\(operationSlotsInUse) descriptors=\(descriptorsOwned) timers=\(timersPending) "
            + "buffersLent=\(receiveBuffersLent) bufferShortages=\(receiveBufferShortages)"
    }
}
