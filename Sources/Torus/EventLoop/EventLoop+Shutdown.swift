import CLiburing

extension EventLoop {
    /// Shuts the loop down and waits until its thread has exited.
    ///
    /// In order: new operations start throwing `.loopShutDown`; every operation in
    /// flight is cancelled (its caller gets `.loopShutDown` once the kernel has let go
    /// of its buffer); jobs still queued run; once nothing is in flight, every
    /// descriptor the loop still owns is closed and the thread exits. Jobs scheduled afterwards run on
    /// Swift's global pool; ``run(_:)`` throws `.loopShutDown`. Safe to call more than
    /// once and from any thread, the loop's own included; the first call made off the
    /// loop thread also joins the thread, so it is gone when the call returns.
    public func shutdown() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let alreadyExited = remote.withTSanVisibleLock { work in
                if work.exited { return true }
                work.stopRequested = true
                work.shutdownWaiters.append(continuation)
                return false
            }
            if alreadyExited { continuation.resume() } else { wake() }
        }
        joinThread()
    }

    /// Asks the loop to shut down without waiting for it (a group whose later loops
    /// failed to start lets go of the earlier ones this way).
    func requestShutdown() {
        let alreadyExited = remote.withTSanVisibleLock { work in
            if work.exited { return true }
            work.stopRequested = true
            return false
        }
        if !alreadyExited { wake() }
    }

    /// On the loop thread: stop taking work, cancel what is in flight, close what is owned.
    func beginShutdown() {
        guard lifecycle.load(ordering: .relaxed) == Lifecycle.running.rawValue else { return }
        lifecycle.store(Lifecycle.draining.rawValue, ordering: .relaxed)
        logger.debug("event loop shutting down", metadata: ["slotsInUse": "\(slots.inUse)"])
        slots.forEachInUse { cancel($0) }
    }

    /// On the loop thread, once drained: hand late jobs to the global pool and release
    /// the waiters of ``shutdown()``.
    func exit() {
        // Closed only now that nothing is in flight: a pool thread's queued pread must
        // not find the number reused by another file. Served connections let go of
        // their stream (and handler) here, whatever their handler did at the end.
        for descriptor in descriptors.values { descriptor.closeNow() }
        descriptors.removeAll()
        quiesceHandlers.removeAll()
        receiveBufferPool?.unregister()
        lifecycle.store(Lifecycle.exited.rawValue, ordering: .relaxed)
        let (jobs, waiters) = remote.withTSanVisibleLock { work in
            work.exited = true
            let taken = (work.jobs, work.shutdownWaiters)
            work.jobs = []
            work.shutdownWaiters = []
            return taken
        }
        for scheduled in jobs { globalConcurrentExecutor.enqueue(ExecutorJob(scheduled.job)) }
        switch reactor {
        case .completion(let reactor): reactor.end()
        case .selector(let reactor): reactor.end()
        }
        // No longer the loop: jobs these waiters schedule must go to the global pool,
        // even when a waiter is a task that ran on this loop.
        torus_set_current_loop(nil)
        for waiter in waiters { waiter.resume() }
    }
}

/// Runs `body` on a new event loop (pinned: it and its child tasks run on the loop
/// thread), then shuts the loop down, whether `body` returned or threw.
///
/// ```swift
/// try await withEventLoop { loop in
///     try await loop.sleep(for: .milliseconds(10))
/// }
/// ```
public func withEventLoop<Result: Sendable>(
    configuration: EventLoop.Configuration = EventLoop.Configuration(),
    _ body: @Sendable (EventLoop) async throws -> Result
) async throws -> Result {
    let loop = try EventLoop(configuration: configuration)
    do {
        let result = try await loop.run { try await body(loop) }
        await loop.shutdown()
        return result
    } catch {
        await loop.shutdown()
        throw error
    }
}
