import CLiburing
import DequeModule
import SystemPackage

/// The state behind ``TCPListener``: one multishot accept kept armed while someone
/// waits, the connections it accepted ahead of demand, and the callers waiting for the
/// next one (served first come, first served). Lives on the listener's loop thread.
final class Acceptor: ResultSink, @unchecked Sendable {
    // @unchecked Sendable: only touched on the listener's loop thread; other threads
    // only pass the reference back to the loop (`closeAbandoned`).
    let listener: Descriptor
    /// Accepted sockets nobody has asked for yet (each already owned by the loop).
    var backlog = Deque<Descriptor>()
    /// The errno that ended the multishot accept, reported to the next `accept()`.
    var pendingError: Int32 = 0
    var multishot: OperationID?
    /// Callers of `next()` waiting for a connection, oldest first.
    var waiters = Deque<OperationID>()
    var closeWaiter: OperationID?
    var isClosed = false

    init(listener: Descriptor) { self.listener = listener }

    /// The next connection, accepted ahead or awaited; nil once the listener is closed.
    func next() async throws -> TCPConnection? {
        let loop = listener.loop
        while true {
            if isClosed { return nil }
            try loop.checkUsable(.accept)
            if let accepted = backlog.popFirst() { return TCPConnection(descriptor: accepted) }
            if pendingError != 0 {
                defer { pendingError = 0 }
                throw TorusError(.accept, .system(Errno(rawValue: pendingError)))
            }
            guard multishot == nil else { break }
            // Arm, then look again: the selector reactor accepts (or fails) at once.
            loop.submitMultishot(MultishotAccept(fd: listener.fd), resultsTo: self) { multishot = $0 }
        }
        let completion = await loop.suspendAsWaiter { waiters.append($0) }
        if completion.result == -ECANCELED && !completion.cancelled { return nil }  // closed
        let fd = try completion.value(.accept, loop: loop)
        // Handed over by `receive`, already owned by the loop (unless shutdown took it).
        guard let accepted = loop.descriptors[fd] else { throw TorusError(.accept, .loopShutDown) }
        return TCPConnection(descriptor: accepted)
    }

    func handle(result: Int32, flags: UInt32, of id: OperationID, loop: EventLoop) {
        let ended = flags & IORING_CQE_F_MORE == 0
        if ended { multishot = nil }
        if result >= 0 {
            if isClosed || loop.isShuttingDown {
                CLiburing.close(result)
            } else {
                let accepted = Descriptor(fd: result, loop: loop)
                if !resumeFirstWaiter(with: result, loop: loop) { backlog.append(accepted) }
            }
        } else if result != -ECANCELED {
            if !resumeFirstWaiter(with: result, loop: loop) { pendingError = -result }
        }
        if ended, let closeWaiter {
            self.closeWaiter = nil
            loop.resumeWaiter(closeWaiter, result: 0)
        } else if ended, !isClosed, !waiters.isEmpty, !loop.isShuttingDown {
            // The kernel ended the multishot accept while callers still wait: re-arm it.
            loop.submitMultishot(MultishotAccept(fd: listener.fd), resultsTo: self) { multishot = $0 }
        }
    }

    /// Hands `result` to the oldest caller still waiting (cancelled ones have left).
    private func resumeFirstWaiter(with result: Int32, loop: EventLoop) -> Bool {
        while let waiter = waiters.popFirst() {
            if loop.resumeWaiter(waiter, result: result) { return true }
        }
        return false
    }

    /// Stops accepting: pending `accept()` calls return nil, the multishot accept is
    /// cancelled (waiting for its last CQE), connections nobody took are closed.
    func close() async {
        let loop = listener.loop
        guard !isClosed else { return }  // A concurrent close is already at work.
        isClosed = true
        while let waiter = waiters.popFirst() { loop.resumeWaiter(waiter, result: -ECANCELED) }
        if let multishot {
            loop.cancel(multishot)
            // io_uring delivers the last CQE later; the selector reactor already did.
            if self.multishot != nil { _ = await loop.suspendAsWaiter { closeWaiter = $0 } }
        }
        while let accepted = backlog.popFirst() { try? await accepted.close() }
    }

    /// Closes, on its loop, a listener whose handle was dropped without `close()`.
    /// Called from `deinit`, on any thread.
    static func closeAbandoned(_ acceptor: Acceptor) {
        let loop = acceptor.listener.loop
        guard !loop.isShuttingDown else { return }
        Task(executorPreference: loop) {
            // After shutdown the task runs elsewhere, and shutdown closed the fd already.
            guard loop.isCurrent, !acceptor.isClosed else { return }
            await acceptor.close()
            try? await acceptor.listener.close()
        }
    }
}
