/// One listening address served by every loop of an ``EventLoopGroup``: connections are
/// spread over the loops, and each is served on its loop for its whole life.
///
/// ```swift
/// let group = try EventLoopGroup()
/// let listener = try await ShardedListener.bind(
///     to: SocketAddress(ip: "0.0.0.0", port: 8080)!, sharding: .reusePort, on: group)
/// try await listener.serve { connection in         // runs on the connection's loop
///     try? await connection.write(Array("hello\n".utf8))
///     try? await connection.close()
/// }
/// ```
///
/// ``serve(_:)`` returns once the listener is closed: by ``close()``, or by the group's
/// ``EventLoopGroup/shutdownGracefully(gracePeriod:)``.
public final class ShardedListener: Sendable {
    /// How accepted connections reach the loops.
    public enum Sharding: String, Sendable, CaseIterable {
        /// One `SO_REUSEPORT` listener per loop: the kernel spreads new connections by
        /// a hash of their addresses, and a connection never crosses a thread. The
        /// default, and the fastest: use it unless the spread must follow the load.
        case reusePort = "reuseport"
        /// One listener on the group's first loop; each connection is handed to the next
        /// loop in round-robin order (``TCPConnection/handOff(to:_:)``). Costs one
        /// cross-loop hop per connection, not per byte; use it when few clients make
        /// many connections (the kernel's hash can put most on one loop), or to choose
        /// the loop yourself.
        case handOff = "handoff"
    }

    /// The group whose loops serve the connections.
    public let group: EventLoopGroup
    /// How connections are spread.
    public let sharding: Sharding
    /// The bound address (with the kernel's port when bound to port 0).
    public let localAddress: SocketAddress
    /// One listener per loop (``Sharding/reusePort``), or one on the first loop.
    let listeners: [TCPListener]

    private init(group: EventLoopGroup, sharding: Sharding, listeners: [TCPListener]) {
        self.group = group
        self.sharding = sharding
        self.listeners = listeners
        localAddress = listeners[0].localAddress
    }

    /// Binds `address` on `group`'s loops as `sharding` says (with ``Sharding/reusePort``
    /// every loop binds the port the first one got, so port 0 works).
    ///
    /// - Throws: what ``TCPListener/bind(to:options:on:)`` throws (the listeners already
    ///   bound are closed first).
    public static func bind(
        to address: SocketAddress, sharding: Sharding = .reusePort, options: TCPListener.Options = .init(),
        on group: EventLoopGroup
    ) async throws -> ShardedListener {
        var options = options
        options.reusePort = options.reusePort || sharding == .reusePort
        var listeners: [TCPListener] = []
        do {
            for loop in sharding == .reusePort ? group.loops : [group.loops[0]] {
                // Port 0 binds once: the others take the port the first one got.
                let bound =
                    listeners.first.flatMap { SocketAddress(ip: address.ip, port: $0.localAddress.port) } ?? address
                let options = options
                listeners.append(try await loop.run { try TCPListener.bind(to: bound, options: options) })
            }
        } catch {
            for listener in listeners { try? await listener.close() }
            throw error
        }
        return ShardedListener(group: group, sharding: sharding, listeners: listeners)
    }

    /// Accepts until the listener is closed; each connection runs `handle` in a task
    /// pinned to its loop (the task ends when `handle` returns; close the connection in
    /// it). Returns once every listener is closed; connections still being served go on.
    ///
    /// - Throws: the first accept error other than running out of descriptors (which
    ///   only pauses accepting); `CancellationError`.
    public func serve(_ handle: @escaping @Sendable (TCPConnection) async -> Void) async throws {
        try await acceptAll { connection, target in
            if target === connection.loop {
                target.spawn { try await target.run { await handle(connection) } }
            } else {
                try connection.handOff(to: target, handle)
            }
        }
    }

    /// Accepts until the listener is closed; each connection is served without a task
    /// (``TCPConnection/serve(with:)``) by the handler `makeHandler` makes for it on the
    /// connection's loop thread, where it may also set the connection's options
    /// (`TCP_NODELAY`, say) before the first byte. Returns once every listener is closed.
    ///
    /// - Throws: as ``serve(_:)``.
    public func serve(
        with makeHandler: @escaping @Sendable (TCPConnection) -> any ConnectionHandler
    ) async throws {
        try await acceptAll { connection, target in
            if target === connection.loop {
                try? connection.serve(with: makeHandler(connection))
            } else {
                try connection.handOff(to: target) { try? $0.serve(with: makeHandler($0)) }
            }
        }
    }

    /// Stops accepting on every loop (``TCPListener/close()``); connections being served
    /// go on. Closing twice does nothing more.
    public func close() async {
        for listener in listeners { try? await listener.close() }
    }

    /// Runs an accept loop per listener, on its loop, giving each connection to `take`
    /// with the loop it should be served on.
    private func acceptAll(
        _ take: @escaping @Sendable (TCPConnection, EventLoop) throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for listener in listeners {
                tasks.addTask {
                    try await listener.loop.run {
                        for try await connection in listener.connections {
                            let target = self.sharding == .handOff ? self.group.next() : listener.loop
                            try take(connection, target)
                        }
                    }
                }
            }
            try await tasks.waitForAll()
        }
    }
}
