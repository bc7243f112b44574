import Synchronization

/// One cancellation handler for a whole task on a loop, installed by
/// ``EventLoop/run(_:)``, standing in for the one `withTaskCancellationHandler` would add
/// and remove around every operation: adding and removing a handler record costs the
/// runtime its task status-record lock and two executor hops per operation.
///
/// The task publishes the operation it waits for in `state`; the handler, which may run
/// on any thread, swaps in ``cancelledState`` and asks the loop to cancel the operation it
/// found there. One atomic word orders the two: either the handler sees the operation, or
/// the operation sees the task cancelled before it suspends.
///
/// Child tasks inherit the task-local but not the handler, so only the owning task, while
/// its `run` lasts, may use the scope (``usable(on:)``); other tasks fall back to a
/// handler per operation.
///
/// A scope is reused: when its `run` ends on the loop and nothing else holds it (no
/// unstructured task inherited it as a task-local), the loop keeps it as its spare
/// (``EventLoop/spareScope``) for the next `run`, so a `run` allocates nothing once warm
/// (a cross-loop `loopB.run { value }` included).
final class TaskCancellationScope: @unchecked Sendable {
    // @unchecked Sendable: `owner` changes only while the loop thread reopens the scope,
    // when nothing else holds it; everything else is immutable or atomic.

    /// The scope of the innermost ``EventLoop/run(_:)`` around the current task.
    @TaskLocal static var current: TaskCancellationScope?

    /// `state` once the owning task is cancelled: above every operation's `user_data`.
    private static let cancelledState: UInt64 = 1 << 63

    /// The loop whose operations the scope covers.
    let loop: EventLoop
    /// The owning task's ``EventLoop/runningTask``; only compared, never dereferenced.
    private var owner: UInt
    /// Cleared when the owner's `run` returns: a later task at the same address is
    /// someone else.
    private let open = Atomic<Bool>(true)
    /// 0 when idle, the `user_data` of the operation the owner waits for, or
    /// ``cancelledState``.
    private let state = Atomic<UInt64>(0)

    private init(loop: EventLoop, owner: UInt) {
        self.loop = loop
        self.owner = owner
    }

    /// Runs `body` with a scope for the current task on `loop`: one cancellation handler
    /// for every operation `body` awaits in this task.
    static func withScope<Result>(
        on loop: EventLoop, _ body: () async throws -> Result
    ) async throws -> Result {
        // Off the loop (it has exited) there is no running task to own a scope.
        guard loop.isCurrent else { return try await body() }
        var scope = opened(on: loop)
        loop.cachedScope = CachedScope(scope)
        defer {
            scope.open.store(false, ordering: .releasing)
            // Off the loop only once it has exited: nobody reads the cache any more.
            if loop.isCurrent {
                if loop.cachedScope?.scope.toOpaque() == Unmanaged.passUnretained(scope).toOpaque() {
                    loop.cachedScope = nil
                }
                // The handler is removed and the task-local unbound: only an unstructured
                // task that inherited the task-local can still hold the scope.
                if isKnownUniquelyReferenced(&scope) { loop.spareScope = scope }
            }
        }
        return try await withTaskCancellationHandler {
            try await $current.withValue(scope) { try await body() }
        } onCancel: { [unowned(unsafe) scope] in
            // Unretained: the handler is removed before the scope is closed, and only a
            // reference held elsewhere may keep the scope from being reused.
            scope.cancel()
        }
    }

    /// A scope owned by the task `loop` is running: the loop's spare, reopened, or a new
    /// one. On the loop thread.
    private static func opened(on loop: EventLoop) -> TaskCancellationScope {
        guard let spare = loop.spareScope else { return TaskCancellationScope(loop: loop, owner: loop.runningTask) }
        loop.spareScope = nil
        spare.owner = loop.runningTask
        spare.state.store(0, ordering: .relaxed)
        spare.open.store(true, ordering: .releasing)
        return spare
    }

    /// The current task's scope on `loop`, if it has one; nil in child tasks and off the
    /// task's `run`.
    @inline(__always)
    static func usable(on loop: EventLoop) -> TaskCancellationScope? {
        if let cached = loop.cachedScope, cached.owner == loop.runningTask { return cached.scope.takeUnretainedValue() }
        guard let scope = current, scope.loop === loop, scope.owner == loop.runningTask,
            scope.open.load(ordering: .acquiring)
        else { return nil }
        loop.cachedScope = CachedScope(scope)
        return scope
    }

    /// The loop's shortcut to the scope found last (``EventLoop/cachedScope``): reading
    /// the task-local costs the runtime a lookup per operation. Valid while its scope is
    /// open (closing clears it), so an owner that matches the running task names it.
    struct CachedScope {
        let owner: UInt
        let scope: Unmanaged<TaskCancellationScope>

        init(_ scope: TaskCancellationScope) {
            owner = scope.owner
            self.scope = .passUnretained(scope)
        }
    }

    /// Publishes `id` as the operation the owner waits for. Returns false when the task
    /// is already cancelled: the caller cancels the operation itself.
    @inline(__always)
    func begin(_ id: OperationID) -> Bool {
        state.compareExchange(expected: 0, desired: id.userData, ordering: .sequentiallyConsistent).exchanged
    }

    /// The operation `id` is over; a cancellation that came meanwhile stays recorded.
    @inline(__always)
    func end(_ id: OperationID) {
        _ = state.compareExchange(expected: id.userData, desired: 0, ordering: .sequentiallyConsistent)
    }

    /// The handler: records the cancellation and cancels the operation in flight, if any.
    private func cancel() {
        let waiting = state.exchange(Self.cancelledState, ordering: .sequentiallyConsistent)
        if waiting != 0 && waiting != Self.cancelledState { loop.requestCancel(OperationID(userData: waiting)) }
    }
}
