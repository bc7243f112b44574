import Logging

extension EventLoopGroup {
    /// Where a group is in its shutdown.
    enum ShutdownState {
        case running
        /// The first ``shutdownGracefully(gracePeriod:)`` is at work; later calls wait here.
        case shuttingDown(waiters: [CheckedContinuation<Bool, Never>])
        case shutDown
    }

    /// Stops the group: accepting first, then, once in-flight work has finished or
    /// `gracePeriod` is over, everything.
    ///
    /// In order, on every loop at once:
    /// 1. quiesce: every listener the loop owns is closed (a pending `accept()` returns
    ///    nil, so `for try await connection in listener.connections` ends), and every
    ///    server that registered for it is told to stop (TorusHTTP's `HTTPServer` closes
    ///    idle keep-alive connections and answers requests in flight with
    ///    `Connection: close`);
    /// 2. wait until no loop has an operation in flight (connections closed, sleeps and
    ///    waits over), or until `gracePeriod` has passed;
    /// 3. ``EventLoop/shutdown()``: what is still in flight is cancelled (its caller gets
    ///    `.loopShutDown` or `CancellationError`), every kernel completion is waited for,
    ///    every descriptor the loops own is closed, and the threads are joined.
    ///
    /// Afterwards ``EventLoop/run(_:)`` on any of the loops throws `.loopShutDown`. A
    /// second call waits for the first to finish; on ``shared`` the call does nothing.
    public func shutdownGracefully(gracePeriod: Duration = .seconds(10)) async {
        guard !isShared else {
            Logger(label: "torus.eventloopgroup").debug("shutdownGracefully on EventLoopGroup.shared ignored")
            return
        }
        let deadline = ContinuousClock.now + gracePeriod
        let leads: Bool = await withCheckedContinuation { continuation in
            let leads = shutdownState.withTSanVisibleLock { state -> Bool? in
                switch state {
                case .running:
                    state = .shuttingDown(waiters: [])
                    return true
                case .shuttingDown(var waiters):
                    waiters.append(continuation)
                    state = .shuttingDown(waiters: waiters)
                    return nil
                case .shutDown:
                    return false
                }
            }
            if let leads { continuation.resume(returning: leads) }
        }
        guard leads else { return }
        await withTaskGroup(of: Void.self) { tasks in
            for loop in loops { tasks.addTask { try? await loop.run { await loop.quiesce() } } }
        }
        while ContinuousClock.now < deadline, await !isIdle() {
            try? await Task.sleep(for: Swift.min(.milliseconds(5), deadline - .now))
        }
        await withTaskGroup(of: Void.self) { tasks in
            for loop in loops { tasks.addTask { await loop.shutdown() } }
        }
        let waiters = shutdownState.withTSanVisibleLock { state in
            defer { state = .shutDown }
            if case .shuttingDown(let waiters) = state { return waiters }
            return []
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }

    /// Whether no loop has an operation in flight.
    private func isIdle() async -> Bool {
        for loop in loops
        where await withTaskExecutorPreference(loop, operation: { loop.isCurrent ? loop.slots.inUse : 0 }) > 0 {
            return false
        }
        return true
    }
}
