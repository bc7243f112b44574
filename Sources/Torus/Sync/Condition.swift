/// Lets tasks wait until another task notifies them (Tornado's
/// `tornado.locks.Condition`). As in Tornado, no lock is attached: the tasks of one loop
/// run one at a time, so a task checks its predicate and calls ``wait(timeout:)``
/// without another task changing the state in between.
///
/// Loop-local, like every ``LoopBound`` primitive: use it from tasks on ``loop``.
public final class Condition: LoopBound, @unchecked Sendable {
    // @unchecked Sendable: the waiter line is touched only on `loop`'s thread; every
    // entry point checks `loop.isCurrent` first (see LoopBound).

    /// The loop whose tasks may use this condition.
    public let loop: EventLoop
    private var waiters = WaiterLine<Void>()

    /// A condition bound to `loop` (by default the calling thread's loop).
    ///
    /// - Throws: ``TorusError`` `.notOnLoop` when no loop is given and the caller runs
    ///   on none.
    public init(loop: EventLoop? = nil) throws {
        self.loop = try EventLoop.resolve(loop, for: .condition)
    }

    /// Waits for a ``notify(_:)`` or ``notifyAll()``; returns true when notified and
    /// false when `timeout` elapsed first.
    ///
    /// - Throws: `CancellationError`; ``TorusError`` `.notOnLoop`, `.loopShutDown`.
    public func wait(timeout: Duration? = nil) async throws -> Bool {
        try checkOnLoop(.condition)
        do {
            _ = try await waitInLine(.condition, timeout: timeout) { waiters.append($0, (), on: loop) }
            return true
        } catch let error as TorusError where error.reason == .timedOut {
            return false
        }
    }

    /// Wakes the `count` longest waiters (fewer if fewer wait).
    ///
    /// - Throws: ``TorusError`` `.notOnLoop`.
    public func notify(_ count: Int = 1) throws {
        try checkOnLoop(.condition)
        var left = count
        while left > 0, waiters.resumeFirst(with: 0, on: loop) != nil { left -= 1 }
    }

    /// Wakes every waiter.
    ///
    /// - Throws: ``TorusError`` `.notOnLoop`.
    public func notifyAll() throws {
        try checkOnLoop(.condition)
        waiters.resumeAll(with: 0, on: loop)
    }
}
