import CLiburing
import DequeModule
import Logging
import SystemPackage

/// The state behind ``TCPListener``: one multishot accept kept armed while someone
/// waits, the connections it accepted ahead of demand, and the callers waiting for the
/// next one (served first come, first served). Lives on the listener's loop thread.
///
/// Out of descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM), accepting
/// pauses instead of failing: the connections wait in the kernel's backlog, and the
/// accept is tried again after `backoff` until one succeeds (SwiftNIO's accept back-off),
/// with one log line per such episode. Callers keep waiting meanwhile.
final class Acceptor: ResultSink, @unchecked Sendable {
    // @unchecked Sendable: only touched on the listener's loop thread; other threads
    // only pass the reference back to the loop (`closeAbandoned`).
    let listener: Descriptor
    /// How long accepting pauses when the process is out of descriptors or memory.
    let backoff: Duration
    /// Accepted sockets nobody has asked for yet (each already owned by the loop).
    var backlog = Deque<Descriptor>()
    /// The errno that ended the multishot accept, reported to the next `accept()`.
    var pendingError: Int32 = 0
    var multishot: OperationID?
    /// Callers of `next()` waiting for a connection, oldest first.
    var waiters = Deque<OperationID>()
    var closeWaiter: OperationID?
    var isClosed = false
    /// The back-off under way: accepting resumes when it ends.
    var pause: Task<Void, Never>?
    /// An exhaustion episode was logged and no accept has succeeded since.
    var exhausted = false

    /// Starts owning `listener`; on its loop thread. A graceful shutdown of the loop's
    /// group closes it (``EventLoop/quiesce()``).
    init(listener: Descriptor, backoff: Duration) {
        self.listener = listener
        self.backoff = backoff
        listener.loop.addQuiesceHandler(for: self) { [self] in
            await close()
            try? await listener.close()
        }
    }

    /// Whether an accept's error means "no descriptor or memory for one more connection
    /// now": the connection stays queued in the kernel, and a later accept will take it.
    static func isExhaustion(_ result: Int32) -> Bool {
        result < 0 && TorusError.isResourceExhaustion(Errno(rawValue: -result))
    }

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
            // Armed already, or paused: wait for what it brings.
            guard multishot == nil, pause == nil else { break }
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
            exhausted = false
            if isClosed || loop.isShuttingDown {
                CLiburing.close(result)
            } else {
                let accepted = Descriptor(fd: result, loop: loop)
                if !resumeFirstWaiter(with: result, loop: loop) { backlog.append(accepted) }
            }
        } else if Self.isExhaustion(result) {
            if !ended { loop.cancel(id) }  // a multishot that stays armed would only fail again
            pauseAccepting(after: result, loop: loop)
        } else if result != -ECANCELED {
            if !resumeFirstWaiter(with: result, loop: loop) { pendingError = -result }
        }
        if ended, let closeWaiter {
            self.closeWaiter = nil
            loop.resumeWaiter(closeWaiter, result: 0)
        } else if ended, !isClosed, !waiters.isEmpty, !loop.isShuttingDown, pause == nil {
            // The kernel ended the multishot accept while callers still wait: re-arm it.
            loop.submitMultishot(MultishotAccept(fd: listener.fd), resultsTo: self) { multishot = $0 }
        }
    }

    /// Out of descriptors or memory: accepting resumes after ``backoff``. Logged once per
    /// episode (until an accept succeeds), not per failure.
    private func pauseAccepting(after result: Int32, loop: EventLoop) {
        guard pause == nil, !isClosed, !loop.isShuttingDown else { return }
        if !exhausted {
            exhausted = true
            Logger(label: "torus.accept").warning(
                "accept paused: \(Errno(rawValue: -result)); connections wait in the backlog, retried every \(backoff)")
        }
        pause = Task(executorPreference: loop) { [backoff] in
            try? await loop.sleep(for: backoff)
            // After the loop exits the task runs elsewhere, and nothing is left to resume.
            guard loop.isCurrent else { return }
            self.resumeAccepting()
        }
    }

    /// The back-off ended: accept again if someone waits (else the next `next()` arms).
    private func resumeAccepting() {
        let loop = listener.loop
        pause = nil
        guard !isClosed, !loop.isShuttingDown, multishot == nil, !waiters.isEmpty else { return }
        loop.submitMultishot(MultishotAccept(fd: listener.fd), resultsTo: self) { multishot = $0 }
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
        loop.removeQuiesceHandler(for: self)
        pause?.cancel()
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
