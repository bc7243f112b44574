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

    @inline(never)
    private func hop<Result>(
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
        throw TorusError(operation, .notOnLoop, context: "no loop was given and \(callingThreadDescription)")
    }

    /// The error for `operation` called off this loop's thread, naming this loop and the
    /// calling thread.
    package func notOnLoop(_ operation: TorusError.Operation) -> TorusError {
        TorusError(
            operation, .notOnLoop,
            context: "owned by loop \(configuration.threadName); \(Self.callingThreadDescription)")
    }

    /// "called on thread NAME", and which loop that thread runs, if any.
    static var callingThreadDescription: String {
        var name = [CChar](repeating: 0, count: 16)
        torus_thread_name(&name, Int32(name.count))
        let thread = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let loop = EventLoop.current.map { "loop \($0.configuration.threadName)" } ?? "no loop"
        return "called on thread '\(thread)', which runs \(loop)"
    }
}
