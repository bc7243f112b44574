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
final class ConnectionStream: CompletionSink {
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

    let connection: TCPConnection
    let handler: any ConnectionHandler
    /// unowned(unsafe): the loop owns the pool and outlives its connections.
    unowned(unsafe) let pool: ReceiveBufferPool
    // The state below is touched only on the loop thread, one call at a time, so its
    // accesses never overlap: `@exclusivity(unchecked)` drops the runtime's access
    // bookkeeping from every round trip.

    /// The receive in flight (multishot, or one at a time).
    @exclusivity(unchecked) private var receiving: OperationID?
    /// A one-at-a-time receive's own buffer, lent while it waits.
    @exclusivity(unchecked) private var receiveBuffer: LentBuffer?
    @exclusivity(unchecked) private var shown: Shown?
    @exclusivity(unchecked) private var outbound = OutboundQueue()
    /// A send of the queue's first chunk is in flight (`sending` names it once it waits).
    @exclusivity(unchecked) private var sendInFlight = false
    @exclusivity(unchecked) private var sending: OperationID?
    /// Receiving stopped (the handler has heard, or will once it returns).
    @exclusivity(unchecked) private var ended = false
    /// The end the handler hears once it returns from ``ConnectionHandler/connection(_:received:)``.
    @exclusivity(unchecked) private var deferredEnd: TorusError??
    /// What stopped the connection first (a send failure), reported as its end.
    @exclusivity(unchecked) private var failure: TorusError?
    /// ``TCPConnection/closeWhenSent()`` was called; the close itself started.
    @exclusivity(unchecked) private var closeRequested = false
    @exclusivity(unchecked) private var closing = false

    init(connection: TCPConnection, handler: any ConnectionHandler, pool: ReceiveBufferPool) {
        self.connection = connection
        self.handler = handler
        self.pool = pool
    }

    private var loop: EventLoop { connection.loop }
    private var descriptor: Descriptor { connection.descriptor }

    // MARK: Receiving

    /// Arms the receive: see the type's comment; `bridging` receives into a spare buffer
    /// once (io_uring's pool ran dry).
    func armReceive(bridging: Bool = false) {
        let fd: Int32
        do {
            fd = try descriptor.begin(.read)
        } catch {
            end(error)
            return
        }
        let onSelector = !pool.selectsInKernel && pool.selectsOnArrival
        let result: Int32?
        if onSelector || (pool.selectsInKernel && !bridging && !pool.multishotRefused) {
            loop.submitMultishot(PooledReceive(fd: fd, pool: pool, multishot: true), sink: self) { receiving = $0 }
            result = nil
        } else if pool.selectsInKernel && !bridging {
            result = loop.start(PooledReceive(fd: fd, pool: pool), sink: self) { receiving = $0 }
        } else {
            let buffer = pool.lendTop()
            receiveBuffer = buffer
            result = loop.start(Receive(fd: fd, buffer: buffer.bytes), sink: self) { receiving = $0 }
        }
        if let result { received(result: result, flags: 0, final: true) }
    }

    func receive(result: Int32, flags: UInt32, id: OperationID, loop: EventLoop) {
        if id == sending {
            sending = nil
            sent(result)
            sendQueued()
        } else {
            received(result: result, flags: flags, final: flags & IORING_CQE_F_MORE == 0)
        }
    }

    /// A receive result: hands the bytes to the handler, then re-arms, bridges a
    /// shortage, or ends.
    private func received(result: Int32, flags: UInt32, final: Bool) {
        if final {
            receiving = nil
            descriptor.end()
        }
        // A one-at-a-time receive's own buffer, or the pooled one the result names.
        let buffer = receiveBuffer ?? pool.lendFilled(result: result, flags: flags)
        receiveBuffer = nil
        if result > 0, let buffer {
            show(buffer, count: Int(result))
        } else if let buffer {
            pool.giveBack(buffer)
        }
        guard final, !ended else { return }
        if !closing && failure == nil {
            switch result {
            case 1...:
                armReceive()
                return
            case -ENOBUFS:
                armReceive(bridging: true)  // io_uring: every pooled buffer is lent
                return
            case -EINVAL where pool.selectsInKernel && !pool.multishotRefused:
                pool.multishotRefused = true  // before Linux 6.0
                armReceive()
                return
            default:
                break
            }
        }
        switch result {
        case 0: end(nil)
        case _ where closing || result > 0: end(TorusError(.read, .closed))
        default: end(torusError(.read, result))
        }
    }

    private func show(_ buffer: LentBuffer, count: Int) {
        shown = Shown(buffer: buffer, count: count)
        handler.connection(connection, received: UnsafeRawBufferPointer(rebasing: buffer.bytes[..<count]))
        let shown = self.shown!
        self.shown = nil
        if !shown.taken || shown.sent { pool.giveBack(buffer) }
        if let error = deferredEnd {
            deferredEnd = nil
            handler.connectionEnded(connection, error: error)
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
        guard !ended else { return }
        ended = true
        if shown != nil {
            deferredEnd = .some(failure ?? error)
        } else {
            handler.connectionEnded(connection, error: failure ?? error)
        }
    }

    // MARK: Sending

    /// Queues `bytes` and starts sending them unless a send is in flight.
    /// - Throws: the failure of an earlier send, or of the send this call started.
    func send(_ bytes: UnsafeRawBufferPointer) throws(TorusError) {
        if let failure { throw failure }
        if closeRequested { throw TorusError(.write, .closed) }
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
        if !sendInFlight { sendQueued() }
        if let failure { throw failure }
    }

    /// Sends the queued chunks, one send at a time, until one waits or the queue empties.
    private func sendQueued() {
        while !sendInFlight, let chunk = outbound.first {
            let fd: Int32
            do {
                fd = try descriptor.begin(.write)
            } catch {
                fail(error)
                return
            }
            sendInFlight = true
            if let result = loop.start(Send(fd: fd, bytes: chunk.remaining), sink: self, register: { sending = $0 }) {
                sent(result)
            }
        }
        if closeRequested && outbound.isEmpty && !sendInFlight { closeNow() }
    }

    /// A send finished: advances the queue, or fails the connection.
    private func sent(_ result: Int32) {
        sendInFlight = false
        descriptor.end()
        if result >= 0 {
            outbound.advance(by: Int(result), giveBack: giveBack)
        } else {
            fail(torusError(.write, result))
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
        outbound.removeAll(keepingFirst: sendInFlight, giveBack: giveBack)
        if let receiving { loop.cancel(receiving) } else { end(error) }
        if closeRequested { closeNow() }
    }

    // MARK: Closing

    /// Closes once the queue is empty (now, if it is).
    func closeWhenSent() {
        closeRequested = true
        if outbound.isEmpty && !sendInFlight { closeNow() }
    }

    private func closeNow() {
        guard !closing else { return }
        closing = true
        // Shutting down, the loop closes what it owns as it exits.
        guard !loop.isShuttingDown, descriptor.fd >= 0 else { return }
        let connection = self.connection
        loop.start({ try await connection.close() }, completion: { _ in })
    }
}
