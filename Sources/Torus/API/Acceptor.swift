import CLiburing
import SystemPackage
import DequeModule

/// The state behind ``TCPListener``: one multishot accept kept armed while someone
/// waits, the connections it accepted ahead of demand, and the waiter for the next one.
/// Lives on the listener's loop thread.
final class Acceptor: CompletionSink {
    let listener: Descriptor
    /// Accepted sockets nobody has asked for yet (each already owned by the loop).
    var backlog = Deque<Descriptor>()
    /// The errno that ended the multishot accept, reported to the next `accept()`.
    var pendingError: Int32 = 0
    var multishot: OperationID?
    var waiter: OperationID?
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
            if multishot == nil { multishot = loop.submitMultishot(MultishotAccept(fd: listener.fd), sink: self) }
            let completion = await loop.suspendAsWaiter { waiter = $0 }
            if completion.result == -ECANCELED && !completion.cancelled { return nil }  // closed
            _ = try completion.value(.accept, loop: loop)
            // Woken: the connection (or error) is in the backlog; go around.
        }
    }

    func receive(result: Int32, flags: UInt32, loop: EventLoop) {
        let ended = flags & IORING_CQE_F_MORE == 0
        if ended { multishot = nil }
        if result >= 0 {
            if isClosed || loop.isShuttingDown {
                CLiburing.close(result)
            } else {
                backlog.append(Descriptor(fd: result, loop: loop))
            }
        } else if result != -ECANCELED {
            pendingError = -result
        }
        if let waiter, !backlog.isEmpty || pendingError != 0 {
            self.waiter = nil
            loop.resumeWaiter(waiter, result: 0)
        }
        if ended, let closeWaiter {
            self.closeWaiter = nil
            loop.resumeWaiter(closeWaiter, result: 0)
        }
    }

    /// Stops accepting: ends the pending `accept()` (it returns nil), cancels the
    /// multishot accept and waits for its last CQE, closes connections nobody took.
    func close() async {
        let loop = listener.loop
        isClosed = true
        if let waiter {
            self.waiter = nil
            loop.resumeWaiter(waiter, result: -ECANCELED)
        }
        if let multishot {
            loop.cancel(multishot)
            _ = await loop.suspendAsWaiter { closeWaiter = $0 }
        }
        while let accepted = backlog.popFirst() { try? await accepted.close() }
    }
}
