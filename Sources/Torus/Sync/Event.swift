/// A flag tasks can wait for (Tornado's `tornado.locks.Event`): ``wait(timeout:)``
/// returns at once while it is set, and ``set()`` wakes every waiter; ``clear()`` lowers
/// it again.
///
/// Loop-local, like every ``LoopBound`` primitive: use it from tasks on ``loop``.
public final class Event: LoopBound, @unchecked Sendable {
    // @unchecked Sendable: the flag and the waiter line are touched only on `loop`'s
    // thread; every entry point checks `loop.isCurrent` first (see LoopBound).

    /// The loop whose tasks may use this event.
    public let loop: EventLoop
    private var flag = false
    private var waiters = WaiterLine<Void>()

    /// A cleared event bound to `loop` (by default the calling thread's loop).
    ///
    /// - Throws: ``TorusError`` `.notOnLoop` when no loop is given and the caller runs
    ///   on none.
    public init(loop: EventLoop? = nil) throws {
        self.loop = try EventLoop.resolve(loop, for: .event)
    }

    /// Whether the event is set.
    ///
    /// - Throws: ``TorusError`` `.notOnLoop`.
    public var isSet: Bool {
        get throws {
            try checkOnLoop(.event)
            return flag
        }
    }

    /// Sets the event and wakes every waiter; later waits return at once until
    /// ``clear()``.
    ///
    /// - Throws: ``TorusError`` `.notOnLoop`.
    public func set() throws {
        try checkOnLoop(.event)
        guard !flag else { return }
        flag = true
        waiters.resumeAll(with: 0, on: loop)
    }

    /// Clears the event: later waits wait for the next ``set()``.
    ///
    /// - Throws: ``TorusError`` `.notOnLoop`.
    public func clear() throws {
        try checkOnLoop(.event)
        flag = false
    }

    /// Returns once the event is set: at once if it is.
    ///
    /// - Throws: `CancellationError`; ``TorusError``: `.timedOut` when `timeout`
    ///   elapses first, `.notOnLoop`, `.loopShutDown`.
    public func wait(timeout: Duration? = nil) async throws {
        try checkOnLoop(.event)
        if flag { return }
        _ = try await waitInLine(.event, timeout: timeout) { waiters.append($0, (), on: loop) }
    }
}
