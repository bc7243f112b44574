extension TCPConnection {
    /// Waits for bytes from the peer and lends them to `body`, in a buffer the loop owns;
    /// returns what `body` returns. An empty buffer means end of stream.
    ///
    /// While it waits the connection holds no buffer: io_uring takes one of the loop's
    /// pooled buffers only when data arrives (provided buffers, IOSQE_BUFFER_SELECT), and
    /// epoll reads into one once the socket is readable. So idle connections cost no
    /// buffer memory, unlike ``read(into:timeout:)``, whose buffer the caller keeps. One
    /// call hands over at most ``EventLoop/Configuration/receiveBufferSize`` bytes.
    ///
    /// The bytes are valid only inside `body`: the buffer goes back to the pool when
    /// `body` returns or throws. `body` may await (e.g. write the bytes back), but a
    /// buffer held is one other connections cannot use. When every pooled buffer is lent,
    /// the receive reads into a spare buffer instead (made once and kept; counted in
    /// ``LoopStatistics/receiveBufferShortages``): no bytes are lost and nothing waits
    /// for a buffer to come back.
    ///
    /// - Throws: `.read` errors as ``read(into:timeout:)`` does (`.timedOut` after
    ///   `timeout`, `.system(.connectionReset)`, `.closed`, `CancellationError`; a
    ///   cancelled receive whose bytes had already arrived still hands them to `body`);
    ///   whatever `body` throws.
    public func receive<Result>(
        timeout: Duration? = nil, _ body: (UnsafeRawBufferPointer) async throws -> Result
    ) async throws -> Result {
        // Not through `onLoop`'s closure, whose async frame added 144 bytes to the task
        // allocator frames of every waiting receive (measured).
        guard loop.isCurrent else { return try await receiveAfterHop(timeout: timeout, body) }
        try checkNotServed(.read)
        let pool = try loop.receiveBuffers()
        let (buffer, count) = try await descriptor.receive(from: pool, timeout: timeout)
        guard let buffer else { return try await body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        defer {
            // The pool is the loop thread's alone. A body that awaited something else while
            // the loop exited resumes elsewhere; its buffer then stays out (pooled memory
            // is unmapped with the loop) rather than racing other returns.
            if loop.isCurrent { pool.giveBack(buffer) }
        }
        return try await body(UnsafeRawBufferPointer(rebasing: buffer.bytes[..<count]))
    }

    /// ``receive(timeout:_:)`` called off the loop: hops there first.
    @inline(never)
    private func receiveAfterHop<Result>(
        timeout: Duration?, _ body: (UnsafeRawBufferPointer) async throws -> Result
    ) async throws -> Result {
        try await loop.onLoop(.read) { try await receive(timeout: timeout, body) }
    }
}
