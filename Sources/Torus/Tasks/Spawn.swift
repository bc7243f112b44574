import Logging

/// Starts `body` in a task nobody awaits (fire and forget), pinned to `loop` (the
/// calling thread's loop when nil; unpinned when there is none).
///
/// An error it throws is not lost: it is logged at `error` level with the error and the
/// place `spawn` was called from. `CancellationError` after ``CancellationHandle/cancel()``
/// is logged at `debug` level only, since the caller asked for it.
///
/// - Returns: a handle that cancels the task.
@discardableResult
public func spawn(
    on loop: EventLoop? = nil, logger: Logger = Logger(label: "torus.spawn"),
    fileID: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable () async throws -> Void
) -> CancellationHandle {
    let task = Task(executorPreference: loop ?? EventLoop.current) {
        do {
            try await body()
        } catch is CancellationError {
            logger.debug("spawned task cancelled", metadata: ["spawnedAt": "\(fileID):\(line)"])
        } catch {
            logger.error(
                "spawned task failed", metadata: ["error": "\(error)", "spawnedAt": "\(fileID):\(line)"])
        }
    }
    return CancellationHandle(task: task)
}
