import Testing

@testable import Torus

// Helpers for the synchronization primitive tests (Sync/): starting a task that must be
// waiting before the test goes on.

/// Starts `body` in a task pinned to `loop` and returns once it waits on the loop (one
/// more operation slot is in use), so waiters started one after another queue in that
/// order. Call on the loop.
func startWaiter<Success: Sendable>(
    on loop: EventLoop, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> Success
) async -> Task<Success, any Error> {
    let before = await loop.statistics.operationSlotsInUse
    let task = Task(executorPreference: loop, operation: body)
    let waiting = await waitUntil(loop) { $0.operationSlotsInUse > before }
    #expect(waiting, "the task did not start waiting", sourceLocation: sourceLocation)
    return task
}

/// Expects `task` to end by throwing `CancellationError`.
func expectCancelled<Success: Sendable>(
    _ task: Task<Success, any Error>, sourceLocation: SourceLocation = #_sourceLocation
) async {
    await #expect(throws: CancellationError.self, sourceLocation: sourceLocation) { _ = try await task.value }
}

/// Expects `body` to take at least `duration` and to throw ``TorusError`` `.timedOut`
/// for `operation`.
func expectTimeout<Result>(
    _ operation: TorusError.Operation, after duration: Duration,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Result
) async {
    let start = ContinuousClock.now
    await expectTorusError(operation, .timedOut, sourceLocation: sourceLocation, body)
    #expect(ContinuousClock.now - start >= duration, sourceLocation: sourceLocation)
}
