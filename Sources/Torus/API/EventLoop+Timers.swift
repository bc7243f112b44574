import CLiburing

extension EventLoop {
    /// Suspends for `duration` on the loop's clock: an entry in the loop's timer heap, on
    /// both reactors (no thread sleeps, no kernel timer per sleep). A duration of zero or
    /// less returns at once, without suspending, a timer or a system call; unlike
    /// `asyncio.sleep(0)` it does not yield: call `Task.yield()` for that (which
    /// allocates, where this does not).
    ///
    /// - Throws: `CancellationError` if the task is cancelled first; `.loopShutDown`.
    public func sleep(for duration: Duration) async throws {
        try await onLoop(.sleep) {
            try await sleep(untilNanoseconds: duration > .zero ? BootClock.deadline(after: duration) : 0)
        }
    }

    /// Suspends until `deadline` (a `ContinuousClock` instant); a deadline already passed
    /// returns at once, without suspending, a timer or a system call.
    ///
    /// - Throws: `CancellationError` if the task is cancelled first; `.loopShutDown`.
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await onLoop(.sleep) { try await sleep(untilNanoseconds: BootClock.nanoseconds(at: deadline)) }
    }

    /// Sleeps until `deadline`, in CLOCK_BOOTTIME nanoseconds. Not inlined: Swift 6.3.1's
    /// release build crashed (signal 11 in LLVM's coroutine splitting, swifterror
    /// handling) compiling `sleep(for:)` with this inlined into it.
    @inline(never)
    private func sleep(untilNanoseconds deadline: UInt64) async throws {
        try checkUsable(.sleep)
        if deadline <= BootClock.nowNanoseconds {
            try Task.checkCancellation()
            return
        }
        let completion = await suspendAsWaiter { addTimer(deadline: deadline, id: $0, action: .fire) }
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
