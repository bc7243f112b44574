/// A synchronization primitive bound to one event loop: ``Lock``, ``Semaphore``,
/// ``BoundedSemaphore``, ``Condition``, ``Event`` and the queues (``Queue``,
/// ``PriorityQueue``, ``LifoQueue``), with the semantics of Tornado's `tornado.locks`
/// and `tornado.queues`.
///
/// **Loop-local by design.** A primitive belongs to the loop it was created on (its
/// initializer's `loop`, by default the calling thread's loop) and is used by the tasks
/// pinned to that loop, like Tornado's primitives on their IOLoop. Its state is then
/// touched by one thread only, so it needs no lock or atomic, and the uncontended paths
/// (a free lock, a queue with room or items) allocate nothing. Every call checks that
/// it runs on that loop's thread and otherwise throws ``TorusError`` with reason
/// `.notOnLoop`: misuse is a clear error, never a data race. Tasks on other loops or
/// threads coordinate through their own loop's primitives, or hop with ``EventLoop/run(_:)``.
///
/// **Waiting.** Waiters wait in the loop's preallocated operation slots (no
/// continuation is allocated) and are served first come, first served. A waiter whose
/// task is cancelled, or whose `timeout` elapses, leaves the line and never swallows a
/// wake-up: the permit, notification or item goes to the next waiter still waiting.
/// One that was handed its permit or item before its cancellation was seen keeps it and
/// returns normally, so nothing is ever dropped. Waiting throws `CancellationError` when
/// the task is cancelled, ``TorusError`` `.timedOut` when the timeout elapses (except
/// ``Condition/wait(timeout:)``, which returns false), and `.loopShutDown` when the
/// loop shuts down.
public protocol LoopBound: AnyObject, Sendable {
    /// The loop whose tasks may use this primitive.
    var loop: EventLoop { get }
}

extension LoopBound {
    /// Throws `.notOnLoop` for `operation` unless the caller runs on ``loop``'s thread.
    @inline(__always)
    func checkOnLoop(_ operation: TorusError.Operation) throws(TorusError) {
        if !loop.isCurrent { throw loop.notOnLoop(operation) }
    }

    /// Waits in a primitive's line (`join` puts the waiter's ID there) until a waker
    /// resumes it, and returns the result the waker handed over.
    ///
    /// - Throws: `CancellationError`; ``TorusError`` for `operation`: `.timedOut` when
    ///   `timeout` elapses first, `.loopShutDown`.
    func waitInLine(
        _ operation: TorusError.Operation, timeout: Duration?, _ join: (OperationID) -> Void
    ) async throws -> Int32 {
        try loop.checkUsable(operation)
        return try await loop.suspendAsWaiter(timeout: timeout, join).value(operation, loop: loop)
    }
}
