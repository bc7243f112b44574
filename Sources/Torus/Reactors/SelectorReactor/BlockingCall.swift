/// A blocking system call the selector reactor's ``BlockingPool`` makes for an operation
/// epoll cannot wait on (regular files): each ``BlockingOperation`` declares its own in
/// its file.
///
/// A call is a small value (at most three words, so it sits inline in the pool's queue
/// and queueing it allocates nothing) and owns no memory: the pointers it carries belong
/// to the waiting caller, which does not touch them until the result is posted.
protocol BlockingCall: Sendable {
    /// Makes the call on the calling (pool) thread; a count or descriptor, or `-errno`.
    func perform() -> Int32
}

/// An operation the selector reactor runs on its pool: a regular-file operation, which
/// epoll would report as always ready while the call itself blocks.
protocol BlockingOperation: IOOperation {
    /// The blocking call's type, declared beside the operation.
    associatedtype Call: BlockingCall
    /// The call that does this operation's work on a pool thread.
    var blockingCall: Call { get }
}

extension BlockingOperation {
    /// Made on the loop's pool.
    var selectorPlan: SelectorPlan {
        assert(MemoryLayout<Call>.size <= 3 * MemoryLayout<Int>.size, "a blocking call must fit inline in its queue")
        return .onPool(blockingCall)
    }

    /// The blocking call, made on the calling thread: what a pool thread does with
    /// ``blockingCall``. Never on a loop thread, which it would stall.
    func attempt(_ state: inout AttemptState) -> Int32 {
        assert(EventLoop.current == nil, "a blocking call runs on the pool, not on a loop thread")
        return blockingCall.perform()
    }
}
