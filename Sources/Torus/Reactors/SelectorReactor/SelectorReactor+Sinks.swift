import CLiburing
import Glibc

// How epoll runs operations no task waits for (a served connection's receive and
// sends, a listener's multishot accept): readiness edges drive them, and each result
// goes to the operation's sink. No task, no continuation: an idle served connection
// costs its objects and one slot.

extension SelectorReactor {
    /// Tries `operation` once; returns its result when it finished at once (then `sink`
    /// hears nothing), else waits for readiness as a sink slot and returns nil.
    func submit<Operation: IOOperation>(
        _ operation: Operation, resultTo sink: any ResultSink, on loop: EventLoop,
        register: (OperationID) -> Void
    ) -> Int32? {
        guard case .whenReady(let fd, let interest) = operation.selectorPlan else {
            preconditionFailure("operations for a sink wait for readiness")
        }
        let registered = self.register(fd)
        if registered < 0 { return registered }
        var state = AttemptState()
        if interest == .writable || mayRead(fd), let result = attempt(operation, &state, fd: fd, interest: interest) {
            return result
        }
        let id = loop.slots.allocate(for: sink)
        loop.slots[id.index].pointee.sinkOperation = operation
        register(id)
        wait(on: fd, for: interest, id: id) { loop.slots.slot(for: $0) != nil }
        return nil
    }

    /// Makes the operation the multishot one of its descriptor, repeated on each
    /// readable edge (``driveMultishot(_:loop:)``), and drives it at once: connections
    /// or bytes may be waiting already, their edge passed.
    func submitMultishot<Operation: IOOperation>(
        _ operation: Operation, resultsTo sink: any ResultSink, on loop: EventLoop,
        register: (OperationID) -> Void
    ) {
        guard case .whenReady(let fd, _) = operation.selectorPlan else {
            preconditionFailure("multishot operations wait for readiness")
        }
        let id = loop.slots.allocate(for: sink)
        loop.slots[id.index].pointee.sinkOperation = operation
        register(id)
        let registered = self.register(fd)
        if registered < 0 {
            loop.slots.release(id.index)
            sink.handle(result: registered, flags: 0, of: id, loop: loop)
            return
        }
        setMultishot(on: fd, id: id)
        driveMultishot(id, loop: loop)
    }

    /// Repeats a multishot operation's attempt until EAGAIN (or a result that proves the
    /// descriptor drained), handing each result to its sink; an error, or end of stream
    /// (0) from a receive, ends it, as it ends an io_uring multishot. After
    /// ``multishotBudget`` results it yields to the rest of the loop and goes on next
    /// turn (a peer that keeps a socket full would hold the loop).
    func driveMultishot(_ id: OperationID, loop: EventLoop) {
        var results = 0
        while let slot = loop.slots.slot(for: id), let operation = slot.pointee.sinkOperation,
            let sink = slot.pointee.sink
        {
            if results == Self.multishotBudget {
                pendingMultishots.append(id)
                return
            }
            results += 1
            var state = AttemptState()
            countSystemCall()
            let result = operation.attempt(&state)
            if result == -EAGAIN || result == -EWOULDBLOCK { return }
            if result > 0 || (result == 0 && !operation.endsAtZero) {
                sink.handle(result: result, flags: IORING_CQE_F_MORE, of: id, loop: loop)
                // A short read drained the socket, unless the peer's end of stream came
                // with it: no edge follows that, so the next read must see it now.
                if operation.drainsReadiness(result), case .whenReady(let fd, _) = operation.selectorPlan,
                    !isReadClosed(fd)
                {
                    return
                }
                continue
            }
            if case .whenReady(let fd, _) = operation.selectorPlan { clearMultishot(on: fd, id: id) }
            loop.slots.release(id.index)
            sink.handle(result: result, flags: 0, of: id, loop: loop)
            return
        }
    }

    /// Results a multishot operation hands over per readiness edge (or per turn).
    static let multishotBudget = 16

    /// Drives the multishot operations that used up their budget last turn. The two
    /// lists swap, so neither allocates once grown.
    func resumePendingMultishots(_ loop: EventLoop) {
        guard !pendingMultishots.isEmpty else { return }
        swap(&resumingMultishots, &pendingMultishots)
        for id in resumingMultishots { driveMultishot(id, loop: loop) }
        resumingMultishots.removeAll(keepingCapacity: true)
    }
}
