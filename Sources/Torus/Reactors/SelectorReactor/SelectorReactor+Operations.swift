import CLiburing
import Glibc

// How epoll runs an operation a task awaits: the talk's selector loop. Try the
// non-blocking call; on EAGAIN wait for readiness and try again. Regular files go to the
// blocking pool; calls with nothing to wait on complete at once.

extension SelectorReactor {
    /// Runs `operation` by its ``SelectorPlan``: at once, on the pool, or by trying and
    /// waiting for readiness between tries.
    @inline(__always)
    nonisolated(nonsending) func submit<Operation: IOOperation>(
        _ operation: Operation, on loop: EventLoop, timeout: Duration?, cancellable: Bool
    ) async -> Completion {
        // As on io_uring, an operation started in a cancelled task does not run.
        if cancellable && Task.isCancelled {
            return Completion(result: -ECANCELED, flags: 0, cancelled: true, timedOut: false)
        }
        switch operation.selectorPlan {
        case .immediate:
            var state = AttemptState()
            countSystemCall()
            return Completion(result: operation.attempt(&state), flags: 0, cancelled: false, timedOut: false)
        case .onPool(let call):
            // A pool thread may be using the caller's buffer, so cancelling waits for the
            // call to finish instead of resuming the task early.
            return await loop.suspend(awaiting: .pool, cancellable: cancellable) { pool.submit(call, id: $0) }
        case .whenReady(let fd, let interest):
            let registered = register(fd)
            if registered < 0 { return Completion(result: registered, flags: 0, cancelled: false, timedOut: false) }
            let deadline = timeout.map { BootClock.deadline(after: $0) }
            var state = AttemptState()
            // A read waits first when the last one drained the socket (see SelectorReactor).
            var tryNow = interest == .writable || mayRead(fd)
            while true {
                if tryNow, let result = attempt(operation, &state, fd: fd, interest: interest) {
                    return Completion(result: result, flags: 0, cancelled: false, timedOut: false)
                }
                tryNow = true
                let readiness = await loop.suspend(awaiting: .loop, cancellable: cancellable) { id in
                    wait(on: fd, for: interest, id: id) { loop.slots.slot(for: $0) != nil }
                    if let deadline { loop.addTimer(deadline: deadline, id: id, action: .timeOut) }
                }
                if readiness.result != 0 { return readiness }
            }
        }
    }

    /// One non-blocking call of `operation` on `fd`; nil on EAGAIN. Keeps the
    /// descriptor's read-readiness hint: EAGAIN on a read, or a result that proves the
    /// socket drained, makes the next read wait for an edge first.
    @inline(__always)
    func attempt<Operation: IOOperation>(
        _ operation: Operation, _ state: inout AttemptState, fd: Int32, interest: SelectorPlan.Interest
    ) -> Int32? {
        countSystemCall()
        let result = operation.attempt(&state)
        if result == -EAGAIN || result == -EWOULDBLOCK {
            if interest == .readable { markDrained(fd) }
            return nil
        }
        if operation.drainsReadiness(result) { markDrained(fd) }
        return result
    }

    /// Cancels what the reactor runs: a sink's operation ends now with -ECANCELED; a pool
    /// call is left to finish (its posted result resumes the task).
    func cancel(_ id: OperationID, slot: UnsafeMutablePointer<OperationSlot>, on loop: EventLoop) {
        guard slot.pointee.waiting == .sink, let sink = slot.pointee.sink else {
            assert(slot.pointee.waiting == .pool, "epoll runs no io_uring SQEs")
            return
        }
        if case .whenReady(let fd, _) = slot.pointee.sinkOperation?.selectorPlan { clearMultishot(on: fd, id: id) }
        loop.slots.release(id.index)
        sink.handle(result: -ECANCELED, flags: 0, of: id, loop: loop)
    }

    /// Cancels every waiter on `fd`: each ends at once.
    nonisolated(nonsending) func cancelOperations(on fd: Int32, loop: EventLoop) async {
        for id in removeWaiters(on: fd) { loop.cancel(id) }
    }
}
