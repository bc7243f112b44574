extension EventLoop {
    /// Suspends as a waiter (``suspendAsWaiter(cancellable:_:)``) that also ends
    /// when `timeout` elapses: its completion then has `timedOut` set and a negative
    /// result. Without a timeout it is a plain waiter.
    ///
    /// The deadline is a `.timeOut` entry in the loop's timer heap on both reactors; if
    /// the waiter resumes first the entry goes stale (``TimerQueue``), no system call.
    func suspendAsWaiter(timeout: Duration?, _ register: (OperationID) -> Void) async -> Completion {
        guard let timeout else { return await suspendAsWaiter(register) }
        let deadline = BootClock.deadline(after: timeout)
        return await suspendAsWaiter { id in
            register(id)
            addTimer(deadline: deadline, id: id, action: .timeOut)
        }
    }
}
