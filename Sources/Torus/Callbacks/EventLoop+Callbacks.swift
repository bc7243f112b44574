// The callback twins of the loop's own calls, started with `start(_:completion:)`.
// Call them on the loop thread; `completion` runs there, once.

extension EventLoop {
    /// ``sleep(for:)`` with a completion closure: the talk's `call_later`.
    @discardableResult
    public func sleep(for duration: Duration, completion: @escaping (Result<Void, any Error>) -> Void)
        -> CancellationHandle
    {
        start({ try await self.sleep(for: duration) }, completion: completion)
    }

    /// ``sleep(until:)`` with a completion closure.
    @discardableResult
    public func sleep(
        until deadline: ContinuousClock.Instant, completion: @escaping (Result<Void, any Error>) -> Void
    ) -> CancellationHandle {
        start({ try await self.sleep(until: deadline) }, completion: completion)
    }

    /// ``nop()`` with a completion closure.
    @discardableResult
    public func nop(completion: @escaping (Result<Void, any Error>) -> Void) -> CancellationHandle {
        start({ try await self.nop() }, completion: completion)
    }
}
