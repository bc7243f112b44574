import CLiburing

extension EventLoop {
    /// Submits `operation` and suspends until its CQE (and its linked timeout's, when
    /// `timeout` is set) has arrived. Runs on the loop thread; allocates nothing.
    ///
    /// If the task is cancelled meanwhile, the loop asks the kernel to cancel the
    /// operation and still waits for its CQE, so a buffer the operation writes into is
    /// never handed back while the kernel may write to it.
    @inline(__always)
    func submit<Operation: IOOperation>(_ operation: Operation, timeout: Duration? = nil) async -> Completion {
        assert(isCurrent, "operations are submitted on their loop's thread")
        let id = slots.allocate()
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let slot = slots[id.index]
                slot.pointee.continuation = continuation
                slot.pointee.pendingCompletions = 1
                if slot.pointee.cancelRequested {
                    // Cancelled before it started: nothing reaches the kernel.
                    slot.pointee.result = -ECANCELED
                    finishOne(slot, id: id)
                    return
                }
                reactor.prepare(operation, id: id, slot: slot, timeout: timeout)
                slot.pointee.submitted = true
                if timeout != nil { slot.pointee.pendingCompletions = 2 }
            }
        } onCancel: {
            self.requestCancel(id)
        }
    }

    /// Starts a multishot operation whose CQEs all go to `sink`; returns its ID, which
    /// ``cancel(_:)`` accepts.
    func submitMultishot<Operation: IOOperation>(_ operation: Operation, sink: any CompletionSink) -> OperationID {
        assert(isCurrent, "operations are submitted on their loop's thread")
        let id = slots.allocate()
        let slot = slots[id.index]
        slot.pointee.sink = sink
        reactor.prepare(operation, id: id, slot: slot, timeout: nil)
        slot.pointee.submitted = true
        return id
    }

    /// Suspends until ``resumeWaiter(_:result:)`` names the waiter, or its task is
    /// cancelled (then the result is -ECANCELED). `register` receives the waiter's ID.
    func suspendAsWaiter(_ register: (OperationID) -> Void) async -> Completion {
        assert(isCurrent, "waiters suspend on their loop's thread")
        let id = slots.allocate()
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let slot = slots[id.index]
                slot.pointee.continuation = continuation
                slot.pointee.pendingCompletions = 1
                if slot.pointee.cancelRequested {
                    slot.pointee.result = -ECANCELED
                    finishOne(slot, id: id)
                    return
                }
                register(id)
            }
        } onCancel: {
            self.requestCancel(id)
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

    /// Cancels an operation or waiter on the loop thread. An SQE in flight gets an
    /// ASYNC_CANCEL and still completes through its own CQE; a waiter resumes at once.
    func cancel(_ id: OperationID) {
        guard let slot = slots.slot(for: id), !slot.pointee.cancelRequested else { return }
        slot.pointee.cancelRequested = true
        if slot.pointee.submitted {
            reactor.prepareCancel(userData: id.userData)
        } else if slot.pointee.continuation != nil {
            slot.pointee.result = -ECANCELED
            finishOne(slot, id: id)
        }
        // Otherwise the operation has not started; it sees the flag when it does.
    }

    /// Fails fast when the loop is shutting down or the caller is on another thread.
    @inline(__always)
    func checkUsable(_ operation: TorusError.Operation) throws(TorusError) {
        if isShuttingDown { throw TorusError(operation, .loopShutDown) }
    }
}
