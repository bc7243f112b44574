import Logging

/// Starts `body` in a task nobody awaits (fire and forget), pinned to `loop` (the
/// calling thread's loop when nil; unpinned when there is none).
///
/// An error it throws is not lost: it is logged at `error` level with the error and the
/// place `spawn` was called from. `CancellationError` after ``CancellationHandle/cancel()``
/// is logged at `debug` level only, since the caller asked for it.
///
/// Pinned to a loop that has shut down, the body does not run (it would run on Swift's
/// global pool): that is logged at `error` level.
///
/// - Returns: a handle that cancels the task.
@discardableResult
public func spawn(
    on loop: EventLoop? = nil, logger: Logger = Logger(label: "torus.spawn"),
    fileID: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable () async throws -> Void
) -> CancellationHandle {
    let pinned = loop ?? EventLoop.current
    let task = Task(executorPreference: pinned) {
        if let pinned, !pinned.isCurrent {
            logger.error(
                "spawned task not run: its event loop has shut down",
                metadata: ["loop": "\(pinned.configuration.threadName)", "spawnedAt": "\(fileID):\(line)"])
            return
        }
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

extension EventLoop {
    /// Starts `body` in a task pinned to this loop, nobody awaiting it: the way to start
    /// a task that runs on the loop. (A plain `Task { }`, even inside ``run(_:)``, runs on
    /// Swift's global pool, where loop-bound calls throw `.notOnLoop`.) Errors are logged
    /// as ``Torus/spawn(on:logger:fileID:line:_:)`` says.
    ///
    /// - Returns: a handle that cancels the task.
    @discardableResult
    public func spawn(
        logger: Logger = Logger(label: "torus.spawn"), fileID: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable () async throws -> Void
    ) -> CancellationHandle {
        Torus.spawn(on: self, logger: logger, fileID: fileID, line: line, body)
    }
}
