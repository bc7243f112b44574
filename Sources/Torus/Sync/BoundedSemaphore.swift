/// A ``Semaphore`` that refuses to be released above its initial value (Tornado's
/// `tornado.locks.BoundedSemaphore`): a release without a matching acquire is a bug,
/// reported as ``TorusError`` `.overReleased` instead of silently raising the limit.
public final class BoundedSemaphore: Semaphore, @unchecked Sendable {
    // @unchecked Sendable: adds no state to the loop-confined Semaphore.

    /// A bounded semaphore with `value` permits, bound to `loop` (by default the
    /// calling thread's loop).
    ///
    /// - Throws: ``TorusError`` `.invalidArgument` when `value` is negative;
    ///   `.notOnLoop` when no loop is given and the caller runs on none.
    public init(value: Int = 1, loop: EventLoop? = nil) throws {
        try super.init(value: value, bound: value, operation: .semaphore, loop: loop)
    }
}
