import CLiburing
import SystemPackage

/// A connection served by a ``ConnectionHandler``: a receive kept armed, the handler
/// called with each arrival, and the bytes it sends queued and sent one send at a time,
/// all without a task. Confined to the connection's loop thread.
///
/// io_uring with provided-buffer rings (Linux 5.19): one multishot receive (Linux 6.0;
/// one kernel-selected receive at a time before) takes a pooled buffer only as data
/// arrives; when the pool runs dry, one receive into a spare buffer bridges the
/// shortage. epoll: the descriptor's readable edges drive the receive. Either way an
/// idle connection holds its objects and one operation slot, no buffer. (io_uring
/// without buffer rings lends each waiting receive a pooled buffer.)
///
/// The handler is called one method at a time: an end that happens while it handles
/// bytes (a send failing at once) is reported once it has returned.
///
/// Lifetime: the descriptor holds this stream and the stream its connection until the
/// descriptor closes (or the loop exits), so a served connection needs no other owner.
final class ConnectionStream: ResultSink {
    /// The received bytes the handler is looking at.
    private struct Shown {
        var buffer: LentBuffer
        var count: Int
        /// A send took the buffer over (it sends from it).
        var taken = false
        /// That send finished while the handler still looked: the buffer goes back to
        /// the pool once the handler returns.
        var sent = false
    }

    /// The receive side: a receive armed or not.
    private enum Receiving {
        /// No receive in flight: not armed yet, between two, or receiving stopped.
        case idle
        /// A receive in flight (multishot, or one at a time), with the buffer it reads
        /// into when it was lent one first (``ReceivePlan/lendFirst``).
        case armed(OperationID, buffer: LentBuffer?)
        /// None armed because the send queue passed its high watermark; armed again once
        /// it drains to the low one.
        case paused
    }

    /// Where the connection is in its life, as the handler and its sends drive it.
    private enum Lifecycle {
        /// Serving.
        case open
        /// ``TCPConnection/closeWhenSent()`` was called: sends are refused, and the
        /// connection closes once the queue is empty.
        case closeRequested
        /// The close has started.
        case closing
    }

    /// Whether the handler has heard that receiving stopped (exactly once).
    private enum EndReport {
        /// Receiving goes on.
        case pending
        /// It stopped while the handler was handling bytes: reported once it returns.
        case deferred(TorusError?)
        /// The handler has heard (or is hearing).
        case reported
    }

    let connection: TCPConnection
    let handler: any ConnectionHandler
    /// unowned(unsafe): the loop owns the pool and outlives its connections.
    unowned(unsafe) let pool: ReceiveBufferPool
    // The state below is touched only on the loop thread, one call at a time, so its
    // accesses never overlap: `@exclusivity(unchecked)` drops the runtime's access
    // bookkeeping from every round trip.

    @exclusivity(unchecked) private var receiving = Receiving.idle
    @exclusivity(unchecked) private var shown: Shown?
    @exclusivity(unchecked) private var outbound = OutboundQueue()
    /// The send of the queue's first chunk that is in flight, if any.
    @exclusivity(unchecked) private var sending: OperationID?
    @exclusivity(unchecked) private var lifecycle = Lifecycle.open
    @exclusivity(unchecked) private var endReport = EndReport.pending
    /// What stopped the connection first (a send failure), reported as its end.
    @exclusivity(unchecked) private var failure: TorusError?
    /// The send queue is below its high watermark (or, once past it, back at the low
    /// one): receiving goes on.
    @exclusivity(unchecked) private(set) var isWritable = true

    init(connection: TCPConnection, handler: any ConnectionHandler, pool: ReceiveBufferPool) {
        self.connection = connection
        self.handler = handler
        self.pool = pool
    }

    private var loop: EventLoop { connection.loop }
    private var descriptor: Descriptor { connection.descriptor }

    // MARK: Receiving

    /// Arms the receive the pool's ``ReceivePlan`` calls for; `afterShortage` receives
    /// into a spare buffer once (io_uring's ring ran dry).
    func armReceive(afterShortage: Bool = false) {
        guard let fd = begin(.read, orElse: end) else { return }
        var buffer: LentBuffer?
        let result: Int32?
        switch pool.plan(afterShortage: afterShortage) {
        case .readWhenReady,
            .kernelSelects where !pool.multishotRefused:
            loop.submitMultishot(PooledReceive(fd: fd, pool: pool, multishot: true), resultsTo: self) {
                receiving = .armed($0, buffer: nil)
            }
            result = nil
        case .kernelSelects:
            result = loop.submit(PooledReceive(fd: fd, pool: pool), resultTo: self) {
                receiving = .armed($0, buffer: nil)
            }
        case .lendFirst:
            let lent = pool.lend(for: .receiving)
            buffer = lent
            result = loop.submit(Receive(fd: fd, buffer: lent.bytes), resultTo: self) {
                receiving = .armed($0, buffer: lent)
            }
        }
        if let result { received(result: result, flags: 0, final: true, into: buffer) }
    }

    func handle(result: Int32, flags: UInt32, of id: OperationID, loop: EventLoop) {
        if id == sending {
            sending = nil
            sent(result)
            sendQueued()
        } else if case .armed(_, let buffer) = receiving {
            received(result: result, flags: flags, final: flags & IORING_CQE_F_MORE == 0, into: buffer)
        } else {
            // No receive is armed, so no result can be one's; should one come anyway, the
            // buffer it filled still goes back to the pool.
            assertionFailure("a receive result with no receive armed")
            if let filled = pool.takeFilled(result: result, flags: flags) { pool.giveBack(filled) }
        }
    }

    /// A receive result: hands the bytes to the handler, then re-arms, bridges a
    /// shortage, or ends. `buffer` is the receive's own lent buffer, if it had one.
    private func received(result: Int32, flags: UInt32, final: Bool, into buffer: LentBuffer?) {
        if final {
            receiving = .idle
            descriptor.end()
        }
        // The receive's own buffer, or the pooled one the result names.
        let filled = buffer ?? pool.takeFilled(result: result, flags: flags)
        if result > 0, let filled {
            show(filled, count: Int(result))
        } else if let filled {
            pool.giveBack(filled)
        }
        guard final, case .pending = endReport else { return }
        if lifecycle != .closing && failure == nil {
            // Paused: our own cancel ended the receive, or it ended and would re-arm.
            if !isWritable && (result > 0 || result == -ENOBUFS || isPauseCancel(result)) {
                receiving = .paused
                return
            }
            if isPauseCancel(result) {
                armReceive()  // the queue drained before the pause's cancel landed
                return
            }
            switch result {
            case 1...:
                armReceive()
                return
            case -ENOBUFS:
                armReceive(afterShortage: true)  // io_uring: every pooled buffer is lent
                return
            case -EINVAL where pool.plan() == .kernelSelects && !pool.multishotRefused:
                pool.multishotRefused = true  // before Linux 6.0
                armReceive()
                return
            default:
                break
            }
        }
        switch result {
        case 0: end(nil)
        case _ where lifecycle == .closing || result > 0: end(TorusError(.read, .closed))
        default: end(torusError(.read, result))
        }
    }

    /// Whether `result` is the cancel ``pauseReceiving()`` asked for, not a close or the
    /// loop's shutdown (a failure's cancel is told apart by `failure`, checked first).
    private func isPauseCancel(_ result: Int32) -> Bool {
        result == -ECANCELED && descriptor.fd >= 0 && !loop.isShuttingDown
    }

    /// The send queue passed its high watermark: stop receiving (a multishot receive is
    /// cancelled; its last result parks the receive side as `.paused`).
    private func pauseReceiving() {
        isWritable = false
        if case .armed(let id, _) = receiving { loop.cancel(id) }
    }

    /// The send queue drained to its low watermark: receive again.
    private func resumeReceiving() {
        isWritable = true
        guard case .paused = receiving, case .pending = endReport, failure == nil, lifecycle != .closing else { return }
        receiving = .idle
        armReceive()
    }

    private func show(_ buffer: LentBuffer, count: Int) {
        shown = Shown(buffer: buffer, count: count)
        handler.connection(connection, received: UnsafeRawBufferPointer(rebasing: buffer.bytes[..<count]))
        let shown = self.shown!
        self.shown = nil
        if !shown.taken || shown.sent { pool.giveBack(buffer) }
        if case .deferred(let error) = endReport {
            endReport = .reported
            tellEnded(error)
        }
    }

    /// Takes back a buffer the queue is done with; the one the handler is looking at
    /// waits until the handler returns.
    private func giveBack(_ buffer: LentBuffer) {
        if shown != nil, buffer.bytes.baseAddress == shown!.buffer.bytes.baseAddress {
            shown!.sent = true
        } else {
            pool.giveBack(buffer)
        }
    }

    /// Receiving stopped: tells the handler once (after it returns, if it is handling
    /// bytes), with the first failure if a send saw one.
    private func end(_ error: TorusError?) {
        guard case .pending = endReport else { return }
        if shown != nil {
            endReport = .deferred(failure ?? error)
        } else {
            endReport = .reported
            tellEnded(failure ?? error)
        }
    }

    /// Tells the handler receiving stopped, then closes once what it sent has left:
    /// closing does not depend on the handler (one that only logs the end would
    /// otherwise keep the descriptor open until the loop exits).
    private func tellEnded(_ error: TorusError?) {
        handler.connectionEnded(connection, error: error)
        closeWhenSent()
    }

    // MARK: Sending

    /// Queues `bytes` and starts sending them unless a send is in flight; past the high
    /// watermark, stops receiving (``isWritable``).
    /// - Throws: the failure of an earlier send, or of the send this call started.
    func send(_ bytes: UnsafeRawBufferPointer) throws(TorusError) {
        if let failure { throw failure }
        if lifecycle != .open { throw TorusError(.write, .closed) }
        guard !bytes.isEmpty else { return }
        if let start = shown?.buffer.bytes.baseAddress, !shown!.taken, let base = bytes.baseAddress,
            base >= UnsafeRawPointer(start), base + bytes.count <= UnsafeRawPointer(start) + shown!.count
        {
            // The received bytes themselves: the buffer is sent from, not copied.
            shown!.taken = true
            let offset = base - UnsafeRawPointer(start)
            outbound.append(.init(buffer: shown!.buffer, start: offset, end: offset + bytes.count, used: shown!.count))
        } else {
            outbound.appendCopy(of: bytes, pool: pool)
        }
        if sending == nil { sendQueued() }
        if let failure { throw failure }
        if isWritable && outbound.byteCount > loop.configuration.sendQueueHighWatermark { pauseReceiving() }
    }

    /// Sends the queued chunks, one send at a time, until one waits or the queue empties.
    private func sendQueued() {
        while sending == nil, let chunk = outbound.first {
            guard let fd = begin(.write, orElse: fail) else { return }
            // A send that finishes at once never gets an ID: nothing else runs meanwhile.
            if let result = loop.submit(
                Send(fd: fd, bytes: chunk.remaining), resultTo: self, register: { sending = $0 })
            {
                sent(result)
            }
        }
        if lifecycle == .closeRequested && outbound.isEmpty && sending == nil { closeNow() }
    }

    /// A send finished: advances the queue, or fails the connection.
    private func sent(_ result: Int32) {
        descriptor.end()
        if result >= 0 {
            outbound.advance(by: Int(result), giveBack: giveBack)
            if !isWritable && outbound.byteCount <= loop.configuration.sendQueueLowWatermark { resumeReceiving() }
        } else {
            fail(torusError(.write, result))
        }
    }

    /// Counts an operation in flight on the descriptor and returns the descriptor, or
    /// passes the reason it cannot (closed, shutting down) to `stop`.
    private func begin(_ operation: TorusError.Operation, orElse stop: (TorusError) -> Void) -> Int32? {
        do {
            return try descriptor.begin(operation)
        } catch {
            stop(error)
            return nil
        }
    }

    /// The error a failed result stands for: a cancelled operation was closed, or cut
    /// short by the loop's shutdown.
    private func torusError(_ operation: TorusError.Operation, _ result: Int32) -> TorusError {
        guard result == -ECANCELED else { return TorusError(operation, .system(Errno(rawValue: -result))) }
        return TorusError(operation, loop.isShuttingDown ? .loopShutDown : .closed)
    }

    /// A send failed: what is queued is dropped (but the chunk a send in flight reads,
    /// which goes back when that send ends) and receiving stops; the handler hears
    /// `error` as the end.
    private func fail(_ error: TorusError) {
        if failure == nil { failure = error }
        outbound.removeAll(keepingFirst: sending != nil, giveBack: giveBack)
        if case .armed(let id, _) = receiving { loop.cancel(id) } else { end(error) }
        if lifecycle == .closeRequested { closeNow() }
    }

    // MARK: Closing

    /// Closes once the queue is empty (now, if it is).
    func closeWhenSent() {
        if lifecycle == .open { lifecycle = .closeRequested }
        if outbound.isEmpty && sending == nil { closeNow() }
    }

    private func closeNow() {
        guard lifecycle != .closing else { return }
        lifecycle = .closing
        // Shutting down, the loop closes what it owns as it exits.
        guard !loop.isShuttingDown, descriptor.fd >= 0 else { return }
        let connection = self.connection
        loop.start({ try await connection.close() }, completion: { _ in })
    }
}
