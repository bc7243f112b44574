/// The `SerialExecutor` face of an ``EventLoop``, for actors that want to live on a loop.
///
/// Kept apart from the loop's `TaskExecutor` conformance: running every job isolated to
/// one object that is both costs an extra enqueue per hop (docs/ARCHITECTURE.md).
///
/// ```swift
/// actor Counter {
///     let loop: EventLoop
///     nonisolated var unownedExecutor: UnownedSerialExecutor {
///         loop.serialExecutor.asUnownedSerialExecutor()
///     }
/// }
/// ```
public final class LoopSerialExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked Sendable: `loop` is set once, in EventLoop.init, before the facade is
    // published; it is weak-free because the loop owns the facade and outlives it.
    unowned(unsafe) var loop: EventLoop!

    init() {}

    /// Queues an actor's job on the loop.
    public func enqueue(_ job: consuming ExecutorJob) {
        loop.schedule(EventLoop.ScheduledJob(job: UnownedJob(job), isolatedToSerialExecutor: true))
    }

    /// Traps unless called on the loop thread (for `assumeIsolated` and friends).
    public func checkIsolated() {
        precondition(loop.isCurrent, "not on the event loop \(loop.configuration.threadName)")
    }

    /// Whether the caller runs on the loop thread.
    public func isIsolatingCurrentContext() -> Bool? { loop.isCurrent }
}
