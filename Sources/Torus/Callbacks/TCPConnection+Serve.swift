extension TCPConnection {
    /// Serves the connection with `handler`, without a task: the loop keeps a receive
    /// armed and calls the handler on its thread with each arrival, until end of stream,
    /// an error or close (``ConnectionHandler/connectionEnded(_:error:)``).
    ///
    /// This is the callback layer for servers that hold many connections: an idle
    /// served connection costs a few hundred bytes (its objects and one operation slot;
    /// no task, and no buffer on epoll or on io_uring with provided-buffer rings, Linux
    /// 5.19), and a round trip resumes no task. Reply with ``send(_:)``. The connection
    /// stays alive while served, until receiving stops (it then closes once what was
    /// sent has left, after the handler heard) or its loop exits. The async calls
    /// (`read`, `receive`, `write`) throw `.invalidArgument` on a served connection:
    /// their bytes would interleave with the handler's.
    ///
    /// - Throws: ``TorusError`` (`.read`): `.notOnLoop` off the loop thread, `.closed`,
    ///   `.loopShutDown`, `.invalidArgument` when already served.
    public func serve(with handler: some ConnectionHandler) throws(TorusError) {
        guard loop.isCurrent else { throw loop.notOnLoop(.read) }
        _ = try descriptor.usableFD(for: .read)
        try loop.checkUsable(.read)
        guard descriptor.stream == nil else {
            throw TorusError(.read, .invalidArgument("the connection is already served"))
        }
        let stream = ConnectionStream(connection: self, handler: handler, pool: try loop.receiveBuffers())
        descriptor.stream = stream
        stream.armReceive()
    }

    /// Queues `bytes` to send on a served connection and returns at once: they are
    /// copied (or, when they are the bytes the handler was just given, kept in their
    /// receive buffer) and sent in order, one send at a time. A failure reaches the
    /// handler's ``ConnectionHandler/connectionEnded(_:error:)``, and later calls throw it.
    ///
    /// Backpressure: once more than
    /// ``EventLoop/Configuration/sendQueueHighWatermark`` bytes wait to be sent (a peer
    /// that does not read), the connection stops receiving, so its handler is not called
    /// with more to answer; it receives again once the queue
    /// drains to ``EventLoop/Configuration/sendQueueLowWatermark``: ``isWritable`` says
    /// which, for a handler that produces bytes on its own and wants to hold back.
    ///
    /// - Throws: ``TorusError`` (`.write`): `.notOnLoop`; `.loopShutDown`;
    ///   `.invalidArgument` when the connection is not served; `.closed` after close or
    ///   ``closeWhenSent()``; the error this send, or an earlier one, failed with (the
    ///   bytes are then dropped: the connection is ending).
    public func send(_ bytes: UnsafeRawBufferPointer) throws(TorusError) {
        guard loop.isCurrent else { throw loop.notOnLoop(.write) }
        _ = try descriptor.usableFD(for: .write)
        try loop.checkUsable(.write)
        guard let stream = descriptor.stream else {
            throw TorusError(.write, .invalidArgument("send(_:) needs a connection served with serve(with:)"))
        }
        try stream.send(bytes)
    }

    /// Whether a served connection's send queue is under its high watermark (it then
    /// receives); true for a connection not served. Read it on the loop thread.
    public var isWritable: Bool {
        precondition(loop.isCurrent, "isWritable is read on the connection's loop thread")
        return descriptor.stream?.isWritable ?? true
    }

    /// Closes a served connection once every byte queued by ``send(_:)`` has been sent
    /// (or a send failed); returns at once. Closes an unserved connection now. Call it on
    /// the loop thread; calling it again does nothing.
    public func closeWhenSent() {
        precondition(loop.isCurrent, "closeWhenSent() runs on the connection's loop thread")
        if let stream = descriptor.stream {
            stream.closeWhenSent()
        } else if descriptor.fd >= 0 && !loop.isShuttingDown {
            loop.start({ try await self.close() }, completion: { _ in })
        }
    }
}
