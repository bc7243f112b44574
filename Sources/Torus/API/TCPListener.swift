import CLiburing

/// A listening TCP socket; accepted connections arrive through ``connections`` (an
/// `AsyncSequence`) or ``accept()``.
///
/// Accepting uses one multishot accept, re-armed whenever the kernel ends it.
///
/// ```swift
/// let listener = try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: 0)!)
/// for try await connection in listener.connections { ... }
/// ```
public final class TCPListener: @unchecked Sendable {
    // @unchecked Sendable: `acceptor` and `descriptor` are used only on `loop`'s thread
    // (async calls hop there).

    /// Options for ``bind(to:options:on:)``.
    public struct Options: Sendable {
        /// The kernel's queue of connections not yet accepted (`listen`'s backlog).
        public var backlog: Int32 = 1024
        /// SO_REUSEADDR: rebind while old connections sit in TIME_WAIT. On by default.
        public var reuseAddress = true
        /// SO_REUSEPORT: let several listeners (one per loop) share the port.
        public var reusePort = false
        /// How long accepting pauses when the process runs out of descriptors (EMFILE,
        /// ENFILE) or kernel memory: the connections wait in the backlog meanwhile, and
        /// ``TCPListener/accept()`` keeps waiting instead of failing. Must be positive.
        public var acceptBackoff: Duration = .milliseconds(100)

        /// The defaults: backlog 1,024, SO_REUSEADDR on, SO_REUSEPORT off, a 100 ms
        /// accept back-off.
        public init() {}
    }

    /// The loop that owns the socket.
    public let loop: EventLoop
    /// The bound address; its port is the kernel's choice when bound to port 0.
    public let localAddress: SocketAddress
    let acceptor: Acceptor

    private init(acceptor: Acceptor, localAddress: SocketAddress) {
        self.loop = acceptor.listener.loop
        self.acceptor = acceptor
        self.localAddress = localAddress
    }

    deinit { Acceptor.closeAbandoned(acceptor) }

    /// Creates a socket, binds it to `address` and listens. Runs on the loop thread.
    ///
    /// - Throws: ``TorusError``: `.bind` with `.system(.addressInUse)`, `.listen`, ...
    public static func bind(
        to address: SocketAddress, options: Options = Options(), on loop: EventLoop? = nil
    ) throws -> TCPListener {
        let loop = try EventLoop.resolve(loop, for: .bind)
        guard loop.isCurrent else { throw loop.notOnLoop(.bind) }
        try loop.checkUsable(.bind)
        guard options.backlog >= 0 else {
            throw TorusError(.listen, .invalidArgument("backlog must not be negative, got \(options.backlog)"))
        }
        guard options.acceptBackoff > .zero else {
            throw TorusError(.listen, .invalidArgument("acceptBackoff must be positive, got \(options.acceptBackoff)"))
        }
        let fd = socket(
            address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | loop.socketTypeFlags, 0)
        if fd < 0 { throw TorusError(.socket, .system(.last)) }
        let descriptor = try Descriptor.adopt(fd, on: loop, for: .bind)
        do {
            try SocketOption.reuseAddress(options.reuseAddress).apply(to: fd)
            if options.reusePort { try SocketOption.reusePort(true).apply(to: fd) }
            if address.withSockAddr({ CLiburing.bind(fd, $0, $1) }) != 0 {
                throw TorusError(.bind, .system(.last))
            }
            if listen(fd, options.backlog) != 0 { throw TorusError(.listen, .system(.last)) }
            let bound = try SocketAddress.query(fd, getsockname)
            return TCPListener(
                acceptor: Acceptor(listener: descriptor, backoff: options.acceptBackoff), localAddress: bound)
        } catch {
            descriptor.closeNow()
            loop.descriptors[fd] = nil
            throw error
        }
    }

    /// Waits for the next connection; nil once the listener is closed.
    ///
    /// Out of descriptors (EMFILE, ENFILE) or kernel memory, it keeps waiting: accepting
    /// pauses for ``Options/acceptBackoff`` at a time (one log line per episode) and the
    /// connection is accepted once a descriptor is free, so a `for try await` loop over
    /// ``connections`` survives a descriptor exhaustion.
    ///
    /// - Throws: other accept errors (the listener stays usable); `CancellationError`
    ///   (no connection is lost: it waits for the next call).
    public func accept() async throws -> TCPConnection? {
        try await loop.onLoop(.accept) { try await acceptor.next() }
    }

    /// Accepted connections, in arrival order, until the listener is closed.
    public var connections: Connections { Connections(listener: self) }

    /// Whether ``close()`` has begun: no connection will be accepted any more. Read on
    /// the listener's loop (its state is loop-confined).
    public var isClosed: Bool {
        precondition(loop.isCurrent, "TCPListener.isClosed read off its loop")
        return acceptor.isClosed
    }

    /// Stops listening: a pending ``accept()`` returns nil, connections accepted but not
    /// yet taken are closed, then the socket is closed. Closing twice throws `.closed`;
    /// of two closes at once, the one that started later does.
    public func close() async throws {
        try await loop.onLoop(.close) {
            _ = try acceptor.listener.usableFD(for: .close)
            // A close already at work (waiting for the accept's last completion) closes
            // the socket once its wait is over: this one must not close it first.
            guard !acceptor.isClosed else { throw TorusError(.close, .closed) }
            await acceptor.close()
            try await acceptor.listener.close()
        }
    }

    /// The `AsyncSequence` of accepted connections.
    public struct Connections: AsyncSequence, Sendable {
        let listener: TCPListener

        /// Iterates accepted connections.
        public struct AsyncIterator: AsyncIteratorProtocol {
            let listener: TCPListener

            /// The next connection, or nil once the listener is closed.
            public mutating func next() async throws -> TCPConnection? {
                try await listener.accept()
            }
        }

        /// An iterator over the listener's connections.
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(listener: listener) }
    }
}
