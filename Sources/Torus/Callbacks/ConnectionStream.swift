import CLiburing
import SystemPackage

/// A connection served by a ``ConnectionHandler``: a receive kept armed, the handler
/// called with each arrival, and the bytes it sends queued and sent one send at a time,
/// all without a task. Confined to the connection's loop thread.
///
/// io_uring: one multishot receive selects pooled buffers as data arrives (when the
/// pool runs dry, or the kernel refuses multishot receives, one receive at a time
/// instead). epoll: the descriptor's readable edges drive the receive. Either way an
/// idle connection holds its objects and one operation slot, no buffer.
///
/// Lifetime: the connection and this stream reference each other until the connection
/// closes, so a served connection needs no other owner.
final class ConnectionStream: CompletionSink {
    let connection: TCPConnection
    let handler: any ConnectionHandler
    /// unowned(unsafe): the loop owns the pool and outlives its connections.
    unowned(unsafe) let pool: ReceiveBufferPool
    /// The receive in flight (multishot, or one at a time).
    private var receiving: OperationID?
    /// A one-at-a-time receive's buffer, lent while it waits.
    private var receiveBuffer: LentBuffer?
    /// The buffer whose bytes the handler is looking at, how many, whether a send took
    /// it over, and whether that send already finished (the buffer goes back to the pool
    /// only once the handler has returned).
    private var shown: LentBuffer?
    private var shownCount = 0
    private var shownTaken = false
    private var shownSent = false
    private var outbound = OutboundQueue()
    /// The send in flight, if any.
    private var sending: OperationID?
    private var sendInFlight = false
    /// The handler heard that receiving stopped.
    private var ended = false
    /// What stopped the connection first (a send failure), reported when receiving stops.
    private var failure: TorusError?
    /// ``TCPConnection/closeWhenSent()`` was called; the close itself started.
    private var closeRequested = false
    private var closing = false

    init(connection: TCPConnection, handler: any ConnectionHandler, pool: ReceiveBufferPool) {
        self.connection = connection
        self.handler = handler
        self.pool = pool
    }

    private var loop: EventLoop { connection.loop }
    private var descriptor: Descriptor { connection.descriptor }

    // MARK: Receiving

    /// Arms the receive: multishot with kernel-selected buffers where it can, else one
    /// receive into a lent buffer (`oneAtATime`, or no buffer ring, or after a refusal).
    func armReceive(oneAtATime: Bool = false) {
        let fd: Int32
        do {
            fd = try descriptor.begin(.read)
        } catch {
            end(error)
            return
        }
        if pool.selectsOnArrival && !oneAtATime && !(pool.selectsInKernel && pool.multishotRefused) {
            loop.submitMultishot(PooledReceive(fd: fd, pool: pool, multishot: true), sink: self) { receiving = $0 }
            return
        }
        let buffer = pool.lendTop()
        receiveBuffer = buffer
        if let result = loop.start(Receive(fd: fd, buffer: buffer.bytes), sink: self, register: { receiving = $0 }) {
            received(result: result, flags: 0, final: true)
        }
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

    /// A receive result: hands the bytes to the handler, then re-arms, falls back, or
    /// ends.
    private func received(result: Int32, flags: UInt32, final: Bool) {
        if final {
            receiving = nil
            descriptor.end()
        }
        var buffer = receiveBuffer
        receiveBuffer = nil
        if buffer == nil && result > 0 {
            if !pool.selectsInKernel {
                buffer = pool.lendTop()  // epoll: the read just made filled it
            } else if flags & IORING_CQE_F_BUFFER != 0 {
                buffer = pool.lend(kernelSelected: UInt16(truncatingIfNeeded: flags >> 16))
            }
        }
        if result > 0, let buffer {
            show(buffer, count: Int(result))
        } else if let buffer {
            pool.giveBack(buffer)
        }
        guard final, !ended else { return }
        if !closing {
            switch result {
            case 1...:
                armReceive()
                return
            case -ENOBUFS:
                armReceive(oneAtATime: true)  // io_uring: every pooled buffer is lent
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
        case _ where closing: end(TorusError(.read, .closed))
        default: end(error(.read, result))
        }
    }

    private func show(_ buffer: LentBuffer, count: Int) {
        shown = buffer
        shownCount = count
        shownTaken = false
        shownSent = false
        handler.connection(connection, received: UnsafeRawBufferPointer(rebasing: buffer.bytes[..<count]))
        shown = nil
        if !shownTaken || shownSent { pool.giveBack(buffer) }
    }

    /// Takes back a buffer the queue is done with; the one the handler is looking at
    /// waits until the handler returns.
    private func giveBack(_ buffer: LentBuffer) {
        if let shown, buffer.bytes.baseAddress == shown.bytes.baseAddress {
            shownSent = true
        } else {
            pool.giveBack(buffer)
        }
    }

    /// Receiving stopped: tells the handler once, with the first failure if a send saw it.
    private func end(_ error: TorusError?) {
        guard !ended else { return }
        ended = true
        handler.connectionEnded(connection, error: failure ?? error)
        // At shutdown the loop closes the descriptor itself; the cycle with the
        // connection must not outlive it, whatever the handler did.
        if loop.isShuttingDown {
            outbound.removeAll(giveBack: giveBack)
            connection.stream = nil
        }
    }

    // MARK: Sending

    /// Queues `bytes` and starts sending them unless a send is in flight.
    func send(_ bytes: UnsafeRawBufferPointer) throws(TorusError) {
        if let failure { throw failure }
        if closeRequested { throw TorusError(.write, .closed) }
        _ = try descriptor.open(for: .write)
        guard !bytes.isEmpty else { return }
        if let shown, !shownTaken, let base = bytes.baseAddress, let start = shown.bytes.baseAddress,
            base >= UnsafeRawPointer(start), base + bytes.count <= UnsafeRawPointer(start) + shownCount
        {
            // The received bytes themselves: the buffer is sent from, not copied.
            shownTaken = true
            let offset = base - UnsafeRawPointer(start)
            outbound.append(.init(buffer: shown, start: offset, end: offset + bytes.count, used: shownCount))
        } else {
            outbound.appendCopy(of: bytes, pool: pool)
        }
        if !sendInFlight { sendQueued() }
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
            fail(error(.write, result))
        }
    }

    /// The error a failed result stands for: a cancelled operation was closed, or cut
    /// short by the loop's shutdown.
    private func error(_ operation: TorusError.Operation, _ result: Int32) -> TorusError {
        guard result == -ECANCELED else { return TorusError(operation, .system(Errno(rawValue: -result))) }
        return TorusError(operation, loop.isShuttingDown ? .loopShutDown : .closed)
    }

    /// A send failed: what is queued is dropped and receiving stops (the handler hears
    /// `error` once the receive has ended).
    private func fail(_ error: TorusError) {
        if failure == nil { failure = error }
        outbound.removeAll(giveBack: giveBack)
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
        // At shutdown the loop closes what it owns itself.
        if loop.isShuttingDown || descriptor.fd < 0 {
            connection.stream = nil
            return
        }
        let connection = self.connection
        loop.start({ try await connection.close() }, completion: { _ in })
    }
}
