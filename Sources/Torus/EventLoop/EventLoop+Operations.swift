import CLiburing
import Glibc

extension EventLoop {
    /// Runs `operation` on the loop's reactor and returns its result. Runs on the loop
    /// thread; allocates nothing.
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
        case .completion(let completion):
            return await submit(operation, to: completion, timeout: timeout, cancellable: cancellable)
        case .selector(let selector):
            return await submit(operation, to: selector, timeout: timeout, cancellable: cancellable)
        }
    }

    @inline(__always)
    private nonisolated(nonsending) func submit<Operation: IOOperation>(
        _ operation: Operation, to reactor: CompletionReactor, timeout: Duration?, cancellable: Bool
    ) async -> Completion {
        // In flight once queued: cancelling sends ASYNC_CANCEL and waits for the CQE.
        await suspendAsWaiterOnLoop(inFlight: true, cancellable: cancellable) { id in
            let slot = slots[id.index]
            reactor.prepare(operation, id: id, slot: slot, timeout: timeout)
            if timeout != nil { slot.pointee.pendingCompletions = 2 }
            if operation.submitsAtOnce { reactor.submitQueued() }
        }
    }

    @inline(__always)
    private nonisolated(nonsending) func submit<Operation: IOOperation>(
        _ operation: Operation, to reactor: SelectorReactor, timeout: Duration?, cancellable: Bool
    ) async -> Completion {
        // As on io_uring, an operation started in a cancelled task does not run.
        if cancellable && Task.isCancelled {
            return Completion(result: -ECANCELED, flags: 0, cancelled: true, timedOut: false)
        }
        switch operation.selectorPlan {
        case .immediate:
            var state = AttemptState()
            reactor.countSystemCall()
            return Completion(result: operation.attempt(&state), flags: 0, cancelled: false, timedOut: false)
        case .blocking(let call):
            // `inFlight`: a pool thread may be using the caller's buffer, so cancelling
            // waits for the call to finish instead of resuming the task early.
            return await suspendAsWaiterOnLoop(inFlight: true, cancellable: cancellable) {
                reactor.pool.submit(call, id: $0)
            }
        case .whenReady(let fd, let interest):
            let registered = reactor.register(fd)
            if registered < 0 { return Completion(result: registered, flags: 0, cancelled: false, timedOut: false) }
            let deadline = timeout.map { BootClock.deadline(after: $0) }
            var state = AttemptState()
            // A read waits first when the last one drained the socket (see SelectorReactor).
            var tryNow = interest == .writable || reactor.mayRead(fd)
            while true {
                if tryNow, let result = attempt(operation, &state, fd: fd, interest: interest, selector: reactor) {
                    return Completion(result: result, flags: 0, cancelled: false, timedOut: false)
                }
                tryNow = true
                let readiness = await suspendAsWaiterOnLoop(inFlight: false, cancellable: cancellable) { id in
                    reactor.wait(on: fd, for: interest, id: id) { slots.slot(for: $0) != nil }
                    if let deadline { addTimer(deadline: deadline, id: id, action: .timeOut) }
                }
                if readiness.result != 0 { return readiness }
            }
        }
    }

    /// Selector reactor: one non-blocking call of `operation` on `fd`; nil on EAGAIN.
    /// Keeps the descriptor's read-readiness hint: EAGAIN on a read, or a result that
    /// proves the socket drained, makes the next read wait for an edge first.
    @inline(__always)
    func attempt<Operation: IOOperation>(
        _ operation: Operation, _ state: inout AttemptState, fd: Int32, interest: SelectorPlan.Interest,
        selector: SelectorReactor
    ) -> Int32? {
        selector.countSystemCall()
        let result = operation.attempt(&state)
        if result == -EAGAIN || result == -EWOULDBLOCK {
            if interest == .readable { selector.markDrained(fd) }
            return nil
        }
        if operation.drainsReadiness(result) { selector.markDrained(fd) }
        return result
    }

    /// Starts a multishot operation whose results all go to `sink`. `register` receives
    /// its ID (which ``cancel(_:)`` accepts) before any result is delivered: the selector
    /// reactor may deliver results, even the last one, before this returns. The last
    /// result comes without `IORING_CQE_F_MORE`.
    func submitMultishot<Operation: IOOperation>(
        _ operation: Operation, sink: any CompletionSink, register: (OperationID) -> Void
    ) {
        precondition(isCurrent, "operations are submitted on their loop's thread")
        let id = slots.allocate()
        let slot = slots[id.index]
        slot.pointee.sink = sink
        slot.pointee.submitted = true
        register(id)
        switch reactor {
        case .completion(let completion):
            completion.prepare(operation, id: id, slot: slot, timeout: nil)
        case .selector(let selector):
            guard case .whenReady(let fd, _) = operation.selectorPlan else {
                preconditionFailure("multishot operations wait for readiness")
            }
            slot.pointee.sinkOperation = operation
            let registered = selector.register(fd)
            if registered < 0 {
                slots.release(id.index)
                sink.receive(result: registered, flags: 0, id: id, loop: self)
                return
            }
            selector.setMultishot(on: fd, id: id)
            // Connections may be waiting already; their edge may have passed.
            driveMultishot(id, selector: selector)
        }
    }

    /// Selector reactor: repeats a multishot operation's attempt until EAGAIN (or a
    /// result that proves the descriptor drained), handing each result to its sink; an
    /// error, or end of stream (0) from a receive, ends it, as it ends an io_uring
    /// multishot. After ``multishotBudget`` results it yields to the rest of the loop
    /// and goes on next turn (a peer that keeps a socket full would hold the loop).
    func driveMultishot(_ id: OperationID, selector: SelectorReactor) {
        var results = 0
        while let slot = slots.slot(for: id), let operation = slot.pointee.sinkOperation, let sink = slot.pointee.sink {
            if results == Self.multishotBudget {
                pendingMultishots.append(id)
                return
            }
            results += 1
            var state = AttemptState()
            selector.countSystemCall()
            let result = operation.attempt(&state)
            if result == -EAGAIN || result == -EWOULDBLOCK { return }
            if result > 0 || (result == 0 && !operation.endsAtZero) {
                sink.receive(result: result, flags: IORING_CQE_F_MORE, id: id, loop: self)
                // A short read drained the socket, unless the peer's end of stream came
                // with it: no edge follows that, so the next read must see it now.
                if operation.drainsReadiness(result), case .whenReady(let fd, _) = operation.selectorPlan,
                    !selector.isReadClosed(fd)
                {
                    return
                }
                continue
            }
            if case .whenReady(let fd, _) = operation.selectorPlan { selector.clearMultishot(on: fd, id: id) }
            slots.release(id.index)
            sink.receive(result: result, flags: 0, id: id, loop: self)
            return
        }
    }

    /// Results a multishot operation hands over per readiness edge (or per turn) on the
    /// selector reactor.
    static let multishotBudget = 16

    /// Selector reactor: drives the multishot operations that used up their budget last
    /// turn. The two lists swap, so neither allocates once grown.
    func resumePendingMultishots(selector: SelectorReactor) {
        guard !pendingMultishots.isEmpty else { return }
        swap(&resumingMultishots, &pendingMultishots)
        for id in resumingMultishots { driveMultishot(id, selector: selector) }
        resumingMultishots.removeAll(keepingCapacity: true)
    }

    /// Suspends until ``resumeWaiter(_:result:)`` names the waiter, or its task is
    /// cancelled (then the result is -ECANCELED). `register` receives the waiter's ID.
    /// An `inFlight` waiter stands for work the kernel or a pool thread is doing with
    /// the caller's memory: cancelling it asks the reactor to cancel that work and
    /// still waits for its completion.
    /// A non-`cancellable` waiter ignores task cancellation. In the task of an
    /// ``run(_:)`` the cancellation handler is that run's (``TaskCancellationScope``),
    /// not one added and removed here.
    @inline(__always)
    nonisolated(nonsending) func suspendAsWaiter(
        inFlight: Bool = false, cancellable: Bool = true, _ register: (OperationID) -> Void
    ) async -> Completion {
        precondition(isCurrent, "waiters suspend on their loop's thread")
        return await suspendAsWaiterOnLoop(inFlight: inFlight, cancellable: cancellable, register)
    }

    /// ``suspendAsWaiter(inFlight:cancellable:_:)`` for a caller that has already checked
    /// it runs on the loop thread (``submit(_:timeout:cancellable:)``): one check per
    /// operation, not two.
    @inline(__always)
    private nonisolated(nonsending) func suspendAsWaiterOnLoop(
        inFlight: Bool, cancellable: Bool, _ register: (OperationID) -> Void
    ) async -> Completion {
        let id = slots.allocate()
        guard cancellable else { return await suspend(id, inFlight: inFlight, register) }
        if let scope = TaskCancellationScope.usable(on: self) {
            // A task cancelled already: the operation sees the flag when it starts.
            if !scope.begin(id) { cancel(id) }
            let completion = await suspend(id, inFlight: inFlight, register)
            scope.end(id)
            return completion
        }
        return await withTaskCancellationHandler {
            await suspend(id, inFlight: inFlight, register)
        } onCancel: {
            self.requestCancel(id)
        }
    }

    @inline(__always)
    private nonisolated(nonsending) func suspend(
        _ id: OperationID, inFlight: Bool, _ register: (OperationID) -> Void
    ) async -> Completion {
        // Not `withUnsafeContinuation(isolation:)`, which hops to its isolation before
        // suspending: on the loop thread already, that hop is a runtime lock for nothing.
        await _unsafeInheritExecutor_withUnsafeContinuation { continuation in
            let slot = slots[id.index]
            slot.pointee.continuation = continuation
            slot.pointee.pendingCompletions = 1
            if slot.pointee.cancelRequested {
                slot.pointee.result = -ECANCELED
                finishOne(slot, id: id)
                return
            }
            slot.pointee.submitted = inFlight
            register(id)
        }
    }

    /// Resumes a waiter with `result`; a stale ID (the waiter was cancelled) is ignored.
    /// Returns whether a waiter was resumed.
    @discardableResult
    func resumeWaiter(_ id: OperationID, result: Int32) -> Bool {
        guard let slot = slots.slot(for: id), slot.pointee.continuation != nil else { return false }
        slot.pointee.result = result
        finishOne(slot, id: id)
        return true
    }

    /// From a pool thread: the blocking call for `id` returned `result`.
    func postCompletion(_ id: OperationID, result: Int32) {
        let accepted = remote.withLock { work in
            guard !work.exited else { return false }
            work.completions.append(PostedCompletion(id: id, result: result))
            return true
        }
        if accepted { wake() }
    }

    /// Cancels an operation or waiter on the loop thread. An io_uring SQE in flight gets
    /// an ASYNC_CANCEL and still completes through its own CQE; a pool call finishes
    /// first; a waiter resumes at once; a multishot operation delivers its last result.
    func cancel(_ id: OperationID) {
        guard let slot = slots.slot(for: id), !slot.pointee.cancelRequested else { return }
        slot.pointee.cancelRequested = true
        switch reactor {
        case .completion(let completion) where slot.pointee.submitted:
            completion.prepareCancel(userData: id.userData)
        case .selector(let selector) where slot.pointee.sink != nil:
            let sink = slot.pointee.sink!
            if case .whenReady(let fd, _) = slot.pointee.sinkOperation?.selectorPlan {
                selector.clearMultishot(on: fd, id: id)
            }
            slots.release(id.index)
            sink.receive(result: -ECANCELED, flags: 0, id: id, loop: self)
        case .selector where slot.pointee.submitted:
            break  // A pool thread is making the call; its completion resumes the waiter.
        default:
            if slot.pointee.continuation != nil {
                slot.pointee.result = -ECANCELED
                finishOne(slot, id: id)
            }
        // Otherwise the operation has not started; it sees the flag when it does.
        }
    }

    /// Cancels every operation waiting on `fd`, which is about to be closed; they
    /// complete with -ECANCELED (the caller sees `.closed`).
    func cancelOperations(on fd: Int32) async {
        switch reactor {
        case .completion:
            _ = await submit(CancelDescriptor(fd: fd), cancellable: false)
        case .selector(let selector):
            for id in selector.removeWaiters(on: fd) { cancel(id) }
        }
    }

    /// Forgets what the reactor knows of `fd`, which is being closed: the number will be
    /// reused, and the next descriptor with it must be registered afresh.
    func forgetDescriptor(_ fd: Int32) {
        if case .selector(let selector) = reactor { _ = selector.removeWaiters(on: fd) }
    }

    /// Extra `socket(2)` type flags this loop's reactor needs (non-blocking for epoll).
    var socketTypeFlags: Int32 {
        if case .selector = reactor { return Int32(SOCK_NONBLOCK.rawValue) }
        return 0
    }

    /// Fails fast when the loop is shutting down.
    @inline(__always)
    func checkUsable(_ operation: TorusError.Operation) throws(TorusError) {
        if isShuttingDown { throw TorusError(operation, .loopShutDown) }
    }
}

/// A blocking call's result, posted by a pool thread for the loop to deliver.
struct PostedCompletion {
    var id: OperationID
    var result: Int32
}
