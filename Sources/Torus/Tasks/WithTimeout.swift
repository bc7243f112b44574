/// Runs `body` for at most `duration`: its value when it finishes in time; otherwise
/// it is cancelled, waited for, and ``TorusError`` (`.withTimeout`, `.timedOut`) is
/// thrown. The talk's `wait_for`.
///
/// Timing uses the loop's own timer heap (on either reactor) when called on a loop,
/// `Task.sleep` elsewhere. For one operation, its `timeout:` parameter is cheaper (a
/// linked timeout on io_uring, a deadline in the heap on epoll; no extra task).
public func withTimeout<Value: Sendable>(
    _ duration: Duration, _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await race(body) {
        if let loop = EventLoop.current {
            try await loop.sleep(for: duration)
        } else {
            try await Task.sleep(for: duration)
        }
        throw TorusError(.withTimeout, .timedOut)
    }
}
