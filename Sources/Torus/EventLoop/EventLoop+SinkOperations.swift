import CLiburing
import Glibc

// Operations no task waits for: their result goes to a `CompletionSink` on the loop
// thread (the callback connections of `TCPConnection.serve(with:)`). No task, no
// continuation: an idle callback connection costs its objects and one slot.

extension EventLoop {
    /// Starts `operation` for `sink`. Returns the result when the operation finished at
    /// once (the selector reactor tries the call first), and then `sink` hears nothing
    /// of it; otherwise returns nil after passing the operation's ID to `register`, and
    /// `sink` receives the one result later, on the loop thread. Socket operations only
    /// (regular files have no readiness to wait for).
    func start<Operation: IOOperation>(
        _ operation: Operation, sink: any CompletionSink, register: (OperationID) -> Void
    ) -> Int32? {
        precondition(isCurrent, "operations are submitted on their loop's thread")
        switch reactor {
        case .completion(let completion):
            let id = slots.allocate()
            let slot = slots[id.index]
            slot.pointee.sink = sink
            slot.pointee.submitted = true
            register(id)
            completion.prepare(operation, id: id, slot: slot, timeout: nil)
            return nil
        case .selector(let selector):
            guard case .whenReady(let fd, let interest) = operation.selectorPlan else {
                preconditionFailure("callback operations wait for readiness")
            }
            let registered = selector.register(fd)
            if registered < 0 { return registered }
            var state = AttemptState()
            if interest == .writable || selector.mayRead(fd),
                let result = attempt(operation, &state, fd: fd, interest: interest, selector: selector)
            {
                return result
            }
            let id = slots.allocate()
            let slot = slots[id.index]
            slot.pointee.sink = sink
            slot.pointee.sinkOperation = operation
            register(id)
            selector.wait(on: fd, for: interest, id: id) { slots.slot(for: $0) != nil }
            return nil
        }
    }

    /// Selector reactor: a waiter's descriptor is ready. A task's waiter resumes; a
    /// sink's operation tries its call again and, unless that finds EAGAIN (it then
    /// waits for the next edge), frees its slot and hands the result to its sink.
    func wakeWaiter(_ id: OperationID, selector: SelectorReactor) {
        guard let slot = slots.slot(for: id) else { return }
        guard let sink = slot.pointee.sink, let operation = slot.pointee.sinkOperation else {
            resumeWaiter(id, result: 0)
            return
        }
        guard case .whenReady(let fd, let interest) = operation.selectorPlan else { return }
        var state = AttemptState()
        guard let result = attempt(operation, &state, fd: fd, interest: interest, selector: selector) else {
            selector.wait(on: fd, for: interest, id: id) { slots.slot(for: $0) != nil }
            return
        }
        slots.release(id.index)
        sink.receive(result: result, flags: 0, id: id, loop: self)
    }
}
