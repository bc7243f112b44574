// The callback twins of the TCP calls: each starts its async twin with
// `EventLoop.start(_:completion:)`, so it has the same semantics, results and errors.
// Call them on the loop thread; `completion` runs there, once. Buffers passed in must
// stay valid until `completion` runs.

extension TCPListener {
    /// ``accept()`` with a completion closure: the next connection, or nil once closed.
    @discardableResult
    public func accept(completion: @escaping (Result<TCPConnection?, any Error>) -> Void) -> CancellationHandle {
        loop.start({ try await self.accept() }, completion: completion)
    }

    /// ``close()`` with a completion closure.
    @discardableResult
    public func close(completion: @escaping (Result<Void, any Error>) -> Void) -> CancellationHandle {
        loop.start({ try await self.close() }, completion: completion)
    }
}

extension TCPConnection {
    /// ``connect(to:timeout:on:)`` with a completion closure.
    @discardableResult
    public static func connect(
        to address: SocketAddress, timeout: Duration? = nil, on loop: EventLoop? = nil,
        completion: @escaping (Result<TCPConnection, any Error>) -> Void
    ) -> CancellationHandle {
        let loop = EventLoop.forCallbacks(loop)
        return loop.start({ try await connect(to: address, timeout: timeout, on: loop) }, completion: completion)
    }

    /// ``connect(host:port:timeout:on:)`` with a completion closure.
    @discardableResult
    public static func connect(
        host: String, port: Int, timeout: Duration? = nil, on loop: EventLoop? = nil,
        completion: @escaping (Result<TCPConnection, any Error>) -> Void
    ) -> CancellationHandle {
        let loop = EventLoop.forCallbacks(loop)
        return loop.start(
            { try await connect(host: host, port: port, timeout: timeout, on: loop) }, completion: completion)
    }

    /// ``read(into:timeout:)`` with a completion closure: the count, 0 at end of stream.
    @discardableResult
    public func read(
        into buffer: UnsafeMutableRawBufferPointer, timeout: Duration? = nil,
        completion: @escaping (Result<Int, any Error>) -> Void
    ) -> CancellationHandle {
        loop.start({ try await self.read(into: buffer, timeout: timeout) }, completion: completion)
    }

    /// ``read(upTo:timeout:)`` with a completion closure: the bytes, empty at end of stream.
    @discardableResult
    public func read(
        upTo maxBytes: Int, timeout: Duration? = nil, completion: @escaping (Result<[UInt8], any Error>) -> Void
    ) -> CancellationHandle {
        loop.start({ try await self.read(upTo: maxBytes, timeout: timeout) }, completion: completion)
    }

    /// ``write(_:timeout:)-(UnsafeRawBufferPointer,_)`` with a completion closure.
    @discardableResult
    public func write(
        _ bytes: UnsafeRawBufferPointer, timeout: Duration? = nil,
        completion: @escaping (Result<Void, any Error>) -> Void
    ) -> CancellationHandle {
        loop.start({ try await self.write(bytes, timeout: timeout) }, completion: completion)
    }

    /// ``write(_:timeout:)-(Collection<UInt8>,_)`` with a completion closure.
    @discardableResult
    public func write(
        _ bytes: some Collection<UInt8>, timeout: Duration? = nil,
        completion: @escaping (Result<Void, any Error>) -> Void
    ) -> CancellationHandle {
        loop.start({ try await self.write(bytes, timeout: timeout) }, completion: completion)
    }

    /// ``close()`` with a completion closure.
    @discardableResult
    public func close(completion: @escaping (Result<Void, any Error>) -> Void) -> CancellationHandle {
        loop.start({ try await self.close() }, completion: completion)
    }
}
