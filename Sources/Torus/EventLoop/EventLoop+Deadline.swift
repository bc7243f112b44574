import CLiburing

extension EventLoop {
    /// Suspends as a waiter (``suspendAsWaiter(inFlight:cancellable:_:)``) that also ends
    /// when `timeout` elapses: its completion then has `timedOut` set and a negative
    /// result. Without a timeout it is a plain waiter.
    ///
    /// epoll: a `.timeOut` entry in the selector's timer heap, dropped as stale if the
    /// waiter resumes first. io_uring: a Timeout in a slot of its own that names the
    /// waiter (`deadlineOf`); when it fires it times the waiter out, and when the waiter
    /// resumes first it is cancelled, so no timer outlives its waiter in the kernel.
    func suspendAsWaiter(timeout: Duration?, _ register: (OperationID) -> Void) async -> Completion {
        guard let timeout else { return await suspendAsWaiter(register) }
        let timer = Timeout(after: timeout)
        switch reactor {
        case .selector(let selector):
            return await suspendAsWaiter { id in
                register(id)
                selector.addTimer(deadline: timer.deadlineNanoseconds, id: id, action: .timeOut)
            }
        case .completion(let completion):
            var timerID: OperationID?
            let result = await suspendAsWaiter { id in
                register(id)
                let timerSlot = slots.allocate()
                let slot = slots[timerSlot.index]
                slot.pointee.deadlineOf = id
                slot.pointee.submitted = true
                slot.pointee.pendingCompletions = 1
                completion.prepare(timer, id: timerSlot, slot: slot, timeout: nil)
                timerID = timerSlot
            }
            if !result.timedOut, let timerID { cancel(timerID) }
            return result
        }
    }

    /// io_uring: the deadline timer `id` of `waiter` completed; it times the waiter out
    /// if it fired (-ETIME) rather than being cancelled.
    func deadlineTimerCompleted(_ id: OperationID, waiter: OperationID, result: Int32) {
        slots.release(id.index)
        if result == -ETIME { expire(waiter, action: .timeOut) }
    }
}
