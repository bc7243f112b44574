/// A mutual-exclusion lock for tasks (Tornado's `tornado.locks.Lock`): one holder at a
/// time; others wait first come, first served, and ``release()`` hands the lock
/// straight to the longest waiter. Not reentrant.
///
/// Loop-local, like every ``LoopBound`` primitive: use it from tasks on ``loop``. An
/// uncontended ``acquire(timeout:)`` and ``release()`` allocate nothing.
public final class Lock: LoopBound, Sendable {
    /// A bounded semaphore of one permit, reporting errors as `.lock`.
    private let semaphore: Semaphore

    /// The loop whose tasks may use this lock.
    public var loop: EventLoop { semaphore.loop }

    /// An unlocked lock bound to `loop` (by default the calling thread's loop).
    ///
    /// - Throws: ``TorusError`` `.notOnLoop` when no loop is given and the caller runs
    ///   on none.
    public init(loop: EventLoop? = nil) throws {
        semaphore = try Semaphore(value: 1, bound: 1, operation: .lock, loop: loop)
    }

    /// Takes the lock, waiting (first come, first served) while another task holds it.
    ///
    /// - Throws: `CancellationError`; ``TorusError``: `.timedOut` when `timeout`
    ///   elapses first, `.notOnLoop`, `.loopShutDown`.
    public func acquire(timeout: Duration? = nil) async throws {
        try await semaphore.acquire(timeout: timeout)
    }

    /// Releases the lock, handing it to the longest waiter if one waits.
    ///
    /// - Throws: ``TorusError`` `.overReleased` when the lock is not held; `.notOnLoop`.
    public func release() throws {
        try semaphore.release()
    }

    /// Runs `body` holding the lock, and releases it when `body` returns or throws.
    ///
    /// - Throws: what ``acquire(timeout:)`` throws (then `body` does not run), what
    ///   `body` throws, or `.overReleased` if `body` released the lock itself.
    public func withLock<Result>(
        timeout: Duration? = nil, _ body: () async throws -> sending Result
    ) async throws -> sending Result {
        try await semaphore.withPermit(timeout: timeout, body)
    }
}
