import CLiburing
import Glibc

// Running operations: the loop's side. How an operation runs is its reactor's business
// (Reactors/); the loop allocates its slot, suspends its task, and resumes or cancels it.

extension EventLoop {
    /// Runs `operation` for the calling task on the loop's reactor and returns its
    /// completion. Runs on the loop thread; allocates nothing.
    ///
    /// io_uring: the SQE is queued and the task suspends until its CQE (and its linked
    /// timeout's) arrives. epoll: the non-blocking call is tried at once and the task
    /// suspends only on EAGAIN, until the descriptor is ready.
    ///
    /// If the task is cancelled meanwhile the operation is cancelled, and a buffer it
    /// writes into is never handed back while the kernel (or a pool thread) may still
    /// write to it.
    ///
    /// A non-`cancellable` operation (close) runs to completion even in a cancelled task.
    @inline(__always)
    nonisolated(nonsending) func submit<Operation: IOOperation>(
        _ operation: Operation, timeout: Duration? = nil, cancellable: Bool = true
    ) async -> Completion {
        precondition(isCurrent, "operations are submitted on their loop's thread")
        switch reactor {
        case .completion(let reactor):
            return await reactor.submit(operation, on: self, timeout: timeout, cancellable: cancellable)
        case .selector(let reactor):
            return await reactor.submit(operation, on: self, timeout: timeout, cancellable: cancellable)
        }
    }

    /// Starts `operation` for `sink`, no task waiting. Returns the result when the
    /// operation finished at once (the selector reactor tries the call first), and then
    /// `sink` hears nothing of it; otherwise returns nil after passing the operation's ID
    /// to `register`, and `sink` receives the one result later, on the loop thread.
    /// Socket operations only (regular files have no readiness to wait for).
    func submit<Operation: IOOperation>(
        _ operation: Operation, resultTo sink: any ResultSink, register: (OperationID) -> Void
    ) -> Int32? {
        precondition(isCurrent, "operations are submitted on their loop's thread")
        switch reactor {
        case .completion(let reactor):
            return reactor.submit(operation, resultTo: sink, on: self, register: register)
        case .selector(let reactor):
            return reactor.submit(operation, resultTo: sink, on: self, register: register)
        }
    }

    /// Starts a multishot operation whose results all go to `sink`. `register` receives
    /// its ID (which ``cancel(_:)`` accepts) before any result is delivered: the selector
    /// reactor may deliver results, even the last one, before this returns. The last
    /// result comes without `IORING_CQE_F_MORE`.
    func submitMultishot<Operation: IOOperation>(
        _ operation: Operation, resultsTo sink: any ResultSink, register: (OperationID) -> Void
    ) {
        precondition(isCurrent, "operations are submitted on their loop's thread")
        switch reactor {
        case .completion(let reactor):
            reactor.submitMultishot(operation, resultsTo: sink, on: self, register: register)
        case .selector(let reactor):
            reactor.submitMultishot(operation, resultsTo: sink, on: self, register: register)
        }
    }

    /// Suspends until ``resumeWaiter(_:result:)`` names the waiter, or its task is
    /// cancelled (then the result is -ECANCELED). `register` receives the waiter's ID.
    /// A non-`cancellable` waiter ignores task cancellation.
    @inline(__always)
    nonisolated(nonsending) func suspendAsWaiter(
        cancellable: Bool = true, _ register: (OperationID) -> Void
    ) async -> Completion {
        precondition(isCurrent, "waiters suspend on their loop's thread")
        return await suspend(awaiting: .loop, cancellable: cancellable, register)
    }

    /// Suspends the calling task, which runs on the loop thread (the caller checked),
    /// in a new slot that waits for `awaiting` (``OperationSlot/Waiting``); `register`
    /// receives the slot's ID and starts what will end the wait. In the task of a
    /// ``run(_:)`` the cancellation handler is that run's (``TaskCancellationScope``),
    /// not one added and removed here.
    @inline(__always)
    nonisolated(nonsending) func suspend(
        awaiting: OperationSlot.Waiting, cancellable: Bool, _ register: (OperationID) -> Void
    ) async -> Completion {
        let id = slots.allocate()
        guard cancellable else { return await suspend(id, awaiting: awaiting, register) }
        if let scope = TaskCancellationScope.usable(on: self) {
            // A task cancelled already: the operation sees the flag when it starts.
            if !scope.begin(id) { cancel(id) }
            let completion = await suspend(id, awaiting: awaiting, register)
            scope.end(id)
            return completion
        }
        return await withTaskCancellationHandler {
            await suspend(id, awaiting: awaiting, register)
        } onCancel: {
            self.requestCancel(id)
        }
    }

    @inline(__always)
    private nonisolated(nonsending) func suspend(
        _ id: OperationID, awaiting: OperationSlot.Waiting, _ register: (OperationID) -> Void
    ) async -> Completion {
        // Not `withUnsafeContinuation(isolation:)`, which hops to its isolation before
        // suspending: on the loop thread already, that hop is a runtime lock for nothing.
        await _unsafeInheritExecutor_withUnsafeContinuation { continuation in
            let slot = slots[id.index]
            slot.pointee.continuation = continuation
            if slot.pointee.cancelRequested {
                slot.pointee.waiting = .loop
                slot.pointee.result = -ECANCELED
                finishOne(slot, id: id)
                return
            }
            slot.pointee.waiting = awaiting
            register(id)
        }
    }

    /// Resumes a task waiting for the loop or a pool call with `result`; a stale ID (the
    /// waiter was cancelled) is ignored. Returns whether a waiter was resumed.
    @discardableResult
    func resumeWaiter(_ id: OperationID, result: Int32) -> Bool {
        guard let slot = slots.slot(for: id), slot.pointee.waiting == .loop || slot.pointee.waiting == .pool else {
            return false
        }
        slot.pointee.result = result
        finishOne(slot, id: id)
        return true
    }

    /// From a pool thread: the blocking call for `id` returned `result`.
    func postPoolResult(_ id: OperationID, result: Int32) {
        let accepted = remote.withTSanVisibleLock { work in
            guard !work.exited else { return false }
            work.poolResults.append(PoolResult(id: id, result: result))
            return true
        }
        if accepted { wake() }
    }

    /// Cancels an operation or waiter on the loop thread: a waiter the loop resumes
    /// resumes at once; what the reactor runs ends through the reactor (an io_uring SQE
    /// gets an ASYNC_CANCEL and still completes through its own CQE, a pool call
    /// finishes first, a multishot operation delivers its last result).
    func cancel(_ id: OperationID) {
        guard let slot = slots.slot(for: id), !slot.pointee.cancelRequested else { return }
        slot.pointee.cancelRequested = true
        switch slot.pointee.waiting {
        case .free, .starting:
            break  // Not started: it sees the flag when it starts.
        case .loop:
            slot.pointee.result = -ECANCELED
            finishOne(slot, id: id)
        case .kernel, .pool, .sink:
            switch reactor {
            case .completion(let reactor): reactor.cancel(id, slot: slot, on: self)
            case .selector(let reactor): reactor.cancel(id, slot: slot, on: self)
            }
        }
    }

    /// Cancels every operation waiting on `fd`, which is about to be closed; they
    /// complete with -ECANCELED (the caller sees `.closed`).
    func cancelOperations(on fd: Int32) async {
        switch reactor {
        case .completion(let reactor): await reactor.cancelOperations(on: fd, loop: self)
        case .selector(let reactor): await reactor.cancelOperations(on: fd, loop: self)
        }
    }

    /// Forgets what the reactor knows of `fd`, which is being closed: the number will be
    /// reused, and the next descriptor with it must be registered afresh.
    func forget(_ fd: Int32) {
        switch reactor {
        case .completion(let reactor): reactor.forget(fd)
        case .selector(let reactor): reactor.forget(fd)
        }
    }

    /// Extra `socket(2)` type flags this loop's reactor needs (non-blocking for epoll).
    var socketTypeFlags: Int32 {
        switch reactor {
        case .completion(let reactor): reactor.socketTypeFlags
        case .selector(let reactor): reactor.socketTypeFlags
        }
    }

    /// Fails fast when the loop is shutting down.
    @inline(__always)
    func checkUsable(_ operation: TorusError.Operation) throws(TorusError) {
        if isShuttingDown { throw TorusError(operation, .loopShutDown) }
    }
}

/// A blocking call's result, posted by a pool thread for the loop to deliver.
struct PoolResult {
    var id: OperationID
    var result: Int32
}
