import CLiburing

extension EventLoop {
    /// Suspends for `duration` on the loop's clock (an io_uring timeout: no thread sleeps).
    ///
    /// - Throws: `CancellationError` if the task is cancelled first; `.loopShutDown`.
    public func sleep(for duration: Duration) async throws {
        try await onLoop(.sleep) { try await wait(Timeout(after: duration)) }
    }

    /// Suspends until `deadline` (a `ContinuousClock` instant).
    ///
    /// - Throws: `CancellationError` if the task is cancelled first; `.loopShutDown`.
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await onLoop(.sleep) { try await wait(Timeout(at: deadline)) }
    }

    private func wait(_ timeout: Timeout) async throws {
        try checkUsable(.sleep)
        let completion = await submit(timeout)
        if completion.result == -ETIME { return }
        _ = try completion.value(.sleep, loop: self)
    }

    /// One no-op round trip through the kernel: the runtime's own cost per operation.
    public nonisolated(nonsending) func nop() async throws {
        // On the loop it runs where it is called, without an executor hop.
        guard isCurrent else { return try await hopToLoop(.nop) { try await self.nop() } }
        try checkUsable(.nop)
        _ = try await submit(Nop()).value(.nop, loop: self)
    }
}
