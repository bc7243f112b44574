import CLiburing

extension EventLoop {
    /// Runs `body` on this loop's thread: directly when already there, otherwise by
    /// hopping with a task executor preference (correct, but it costs a thread hop
    /// each way; pin tasks with ``run(_:)`` to avoid it).
    @inline(__always)
    func onLoop<Result>(
        _ operation: TorusError.Operation, _ body: () async throws -> Result
    ) async throws -> Result {
        if isCurrent { return try await body() }
        return try await hop(operation, body)
    }

    /// Runs `body` with this loop as the task executor preference, or throws
    /// `.loopShutDown` when the loop has begun shutting down (or exited meanwhile: the
    /// body would run on Swift's global pool).
    @inline(never)
    func hop<Result>(
        _ operation: TorusError.Operation, _ body: () async throws -> Result
    ) async throws -> Result {
        try checkUsable(operation)
        return try await withTaskExecutorPreference(self) {
            guard isCurrent else { throw TorusError(operation, .loopShutDown) }
            return try await body()
        }
    }

    /// Runs `body` on this loop from any executor, a caller's actor included: for entry
    /// points that run on their caller's executor (`nonisolated(nonsending)`) when that
    /// is not the loop.
    @concurrent
    func hopToLoop<Result: Sendable>(
        _ operation: TorusError.Operation, _ body: @Sendable () async throws -> Result
    ) async throws -> Result {
        try await onLoop(operation, body)
    }

    /// The loop to use: `loop` if given, else the calling thread's loop.
    static func resolve(_ loop: EventLoop?, for operation: TorusError.Operation) throws(TorusError) -> EventLoop {
        if let loop { return loop }
        if let current = EventLoop.current { return current }
        throw TorusError(
            operation, .notOnLoop,
            context: "no loop was given and the caller runs on no loop (thread '\(callingThreadName)'): "
                + Self.unpinnedTaskAdvice)
    }

    /// The error for `operation` called off this loop's thread: names this loop, the
    /// calling thread and, when that thread is another loop's, that loop; says what to do.
    package func notOnLoop(_ operation: TorusError.Operation) -> TorusError {
        let owner = configuration.threadName
        let context =
            if let caller = EventLoop.current {
                "owned by loop \(owner), called on the thread of another loop, \(caller.configuration.threadName): "
                    + "use it from \(owner)'s tasks, or hop there with loop.run { }"
            } else {
                "owned by loop \(owner), called on thread '\(Self.callingThreadName)', which runs no loop: "
                    + Self.unpinnedTaskAdvice
            }
        return TorusError(operation, .notOnLoop, context: context)
    }

    /// Why a task inside `loop.run` can still be off the loop, and the fix.
    private static let unpinnedTaskAdvice =
        "a Task { } started inside loop.run runs on Swift's global pool, not on the loop; "
        + "start it with loop.spawn { } or Task(executorPreference: loop)"

    /// The calling thread's name.
    private static var callingThreadName: String {
        var name = [CChar](repeating: 0, count: 16)
        torus_thread_name(&name, Int32(name.count))
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
