/// A counter of permits: ``acquire(timeout:)`` takes one, waiting while none is left;
/// ``release()`` returns one, handing it straight to the longest waiter (Tornado's
/// `tornado.locks.Semaphore`). Limits how many tasks run a section at once.
///
/// Loop-local, like every ``LoopBound`` primitive: use it from tasks on ``loop``.
public class Semaphore: LoopBound, @unchecked Sendable {
    // @unchecked Sendable: the mutable state is touched only on `loop`'s thread; every
    // entry point checks `loop.isCurrent` first (see LoopBound).

    /// The loop whose tasks may use this semaphore.
    public let loop: EventLoop
    let operation: TorusError.Operation
    /// The most permits there may be (a ``BoundedSemaphore``'s initial value), or nil.
    let bound: Int?
    private var permits: Int
    private var waiters = WaiterLine<Void>()

    /// A semaphore with `value` permits, bound to `loop` (by default the calling
    /// thread's loop).
    ///
    /// - Throws: ``TorusError`` `.invalidArgument` when `value` is negative;
    ///   `.notOnLoop` when no loop is given and the caller runs on none.
    public convenience init(value: Int = 1, loop: EventLoop? = nil) throws {
        try self.init(value: value, bound: nil, operation: .semaphore, loop: loop)
    }

    init(value: Int, bound: Int?, operation: TorusError.Operation, loop: EventLoop?) throws {
        guard value >= 0 else { throw TorusError(operation, .invalidArgument("initial value \(value) is negative")) }
        self.loop = try EventLoop.resolve(loop, for: operation)
        self.operation = operation
        self.bound = bound
        permits = value
    }

    /// Takes a permit, waiting (first come, first served) while none is left.
    ///
    /// - Throws: `CancellationError`; ``TorusError``: `.timedOut` when `timeout`
    ///   elapses first, `.notOnLoop`, `.loopShutDown`.
    public func acquire(timeout: Duration? = nil) async throws {
        try checkOnLoop(operation)
        if permits > 0 {
            permits -= 1
            return
        }
        _ = try await waitInLine(operation, timeout: timeout) { waiters.append($0, (), on: loop) }
    }

    /// Returns a permit: to the longest waiter if one waits, else to the count.
    ///
    /// - Throws: ``TorusError`` `.overReleased` when that would exceed a bounded
    ///   semaphore's initial value, or `Int.max` permits (Tornado's count has no
    ///   ceiling; an `Int` has); `.notOnLoop`.
    public func release() throws {
        try checkOnLoop(operation)
        if permits >= bound ?? .max { throw TorusError(operation, .overReleased) }
        if waiters.resumeFirst(with: 0, on: loop) == nil { permits += 1 }
    }

    /// Runs `body` holding a permit, and returns the permit when `body` returns or
    /// throws (Tornado's `async with semaphore`).
    ///
    /// - Throws: what ``acquire(timeout:)`` throws (then `body` does not run), what
    ///   `body` throws, or `.overReleased` if `body` released a permit of a bounded
    ///   semaphore itself.
    public func withPermit<Result>(
        timeout: Duration? = nil, _ body: () async throws -> sending Result
    ) async throws -> sending Result {
        try await acquire(timeout: timeout)
        let result: Result
        do {
            result = try await body()
        } catch {
            try release()
            throw error
        }
        try release()
        return result
    }
}
