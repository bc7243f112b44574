/// Cancels an operation started with a completion closure (or a ``spawn(on:logger:_:)``ed
/// task), as cancelling its task would: the operation is cancelled in the kernel and its
/// completion receives `CancellationError` once the kernel has let go of its buffers.
/// Cancelling after it finished does nothing.
public struct CancellationHandle: Sendable {
    let task: Task<Void, Never>

    /// Requests cancellation; returns at once (the completion still runs, later).
    public func cancel() { task.cancel() }

    /// Whether ``cancel()`` has been called.
    public var isCancelled: Bool { task.isCancelled }
}

extension EventLoop {
    /// Starts `operation` in a task pinned to this loop and calls `completion` with its
    /// outcome on the loop thread: the talk's callback framework, on top of async/await.
    /// Every callback method in Torus (`connection.read(into:) { result in }`, ...) is
    /// this call around its async twin, so both report the same bytes and errors.
    ///
    /// Call it on the loop thread (inside ``run(_:)`` or another completion): the
    /// closures stay on that one thread, so they may capture state that is not
    /// `Sendable`, as single-threaded callback code does. `completion` runs exactly once,
    /// never inside this call.
    ///
    /// - Returns: a handle whose ``CancellationHandle/cancel()`` cancels the operation;
    ///   `completion` then receives `CancellationError`.
    @discardableResult
    public func start<Value>(
        _ operation: @escaping () async throws -> Value,
        completion: @escaping (Result<Value, any Error>) -> Void
    ) -> CancellationHandle {
        precondition(isCurrent, "callback operations start on their loop's thread (inside loop.run or a callback)")
        // nonisolated(unsafe): the closures need not be Sendable because they never leave
        // this loop's thread: they are made here (checked above) and called only in a
        // task pinned to this loop, one after the other.
        // (A generic @unchecked Sendable box holding both, unpacked inside the task, was
        // over-released by Swift 6.3.1 and crashed; these plain captures are not.)
        nonisolated(unsafe) let operation = operation
        nonisolated(unsafe) let completion = completion
        let task = Task(executorPreference: self) {
            let result: Result<Value, any Error>
            do {
                result = .success(try await operation())
            } catch {
                result = .failure(error)
            }
            completion(result)
        }
        return CancellationHandle(task: task)
    }

    /// The loop a static callback method (connect, open) starts on: `loop`, or the
    /// calling thread's loop.
    static func forCallbacks(_ loop: EventLoop?) -> EventLoop {
        guard let loop = loop ?? current else {
            preconditionFailure("callback operations start on a loop's thread (inside loop.run or a callback)")
        }
        return loop
    }
}
