import CLiburing

// How io_uring runs an operation: queue its SQE (with a linked timeout for a deadline)
// into the ring; the loop turn submits the batch, and the CQE comes back through
// CompletionReactor+Dispatch.swift.

extension CompletionReactor {
    /// Queues the operation's SQE and suspends the task until its CQE (and its linked
    /// timeout's) arrives. In flight once queued: cancelling sends ASYNC_CANCEL and still
    /// waits for the CQE, so the kernel has let go of the task's buffers.
    @inline(__always)
    nonisolated(nonsending) func submit<Operation: IOOperation>(
        _ operation: Operation, on loop: EventLoop, timeout: Duration?, cancellable: Bool
    ) async -> Completion {
        await loop.suspend(awaiting: .kernel(completionsLeft: timeout == nil ? 1 : 2), cancellable: cancellable) {
            id in
            prepare(operation, id: id, slot: loop.slots[id.index], timeout: timeout)
            if operation.submitsAtOnce { submitQueued() }
        }
    }

    /// Queues the operation's SQE for `sink`; its CQE is delivered later, never now.
    func submit<Operation: IOOperation>(
        _ operation: Operation, resultTo sink: any ResultSink, on loop: EventLoop,
        register: (OperationID) -> Void
    ) -> Int32? {
        let id = loop.slots.allocate(for: sink)
        register(id)
        prepare(operation, id: id, slot: loop.slots[id.index], timeout: nil)
        return nil
    }

    /// Queues a multishot SQE (a multishot accept or receive): the kernel posts a CQE per
    /// result, with `IORING_CQE_F_MORE` while it stays armed.
    func submitMultishot<Operation: IOOperation>(
        _ operation: Operation, resultsTo sink: any ResultSink, on loop: EventLoop,
        register: (OperationID) -> Void
    ) {
        _ = submit(operation, resultTo: sink, on: loop, register: register)
    }

    /// Asks the kernel to cancel the operation's SQE; it still ends through its own CQE
    /// (usually -ECANCELED), which frees the slot.
    func cancel(_ id: OperationID, slot: UnsafeMutablePointer<OperationSlot>, on loop: EventLoop) {
        assert(slot.pointee.waiting != .pool, "io_uring runs no pool calls")
        prepareCancel(userData: id.userData)
    }

    /// One ASYNC_CANCEL for every SQE on `fd`, awaited by the calling task.
    nonisolated(nonsending) func cancelOperations(on fd: Int32, loop: EventLoop) async {
        _ = await submit(CancelDescriptor(fd: fd), on: loop, timeout: nil, cancellable: false)
    }
}
