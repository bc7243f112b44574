import CLiburing
import Glibc
import SystemPackage

/// A connected TCP socket owned by an ``EventLoop``.
///
/// Reads and writes go through the loop's reactor. Use it from tasks pinned to its loop
/// (``EventLoop/run(_:)``); async calls from elsewhere hop to the loop (slower), and the
/// synchronous calls (options, addresses, shutdown) throw `.notOnLoop` there.
/// Close it with ``close()``; a connection dropped without closing is closed by its loop.
public final class TCPConnection: @unchecked Sendable {
    // @unchecked Sendable: the mutable state lives in `descriptor`, which is used only on
    // `loop`'s thread (async calls hop there; sync calls check `loop.isCurrent`).

    /// The loop that owns the socket.
    public let loop: EventLoop
    let descriptor: Descriptor

    init(descriptor: Descriptor) {
        self.loop = descriptor.loop
        self.descriptor = descriptor
    }

    deinit { Descriptor.closeAbandoned(descriptor) }

    /// Connects to `address`.
    ///
    /// - Parameters:
    ///   - timeout: gives up with `.timedOut` after this long.
    ///   - loop: the loop to own the connection; the caller's loop when nil.
    /// - Throws: ``TorusError`` (`.connect`): `.system(.connectionRefused)`, `.timedOut`, ...
    public static func connect(
        to address: SocketAddress, timeout: Duration? = nil, on loop: EventLoop? = nil
    ) async throws -> TCPConnection {
        let loop = try EventLoop.resolve(loop, for: .connect)
        return try await loop.onLoop(.connect) {
            try loop.checkUsable(.connect)
            let fd = socket(
                address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | loop.socketTypeFlags, 0)
            if fd < 0 { throw TorusError(.socket, .system(.last)) }
            let connection = TCPConnection(descriptor: try Descriptor.adopt(fd, on: loop, for: .connect))
            do {
                _ = try await connection.descriptor.perform(.connect, timeout: timeout) {
                    Connect(fd: $0, address: address)
                }
            } catch {
                try? await connection.close()
                throw error
            }
            return connection
        }
    }

    /// Resolves `host` (off the loop) and connects to its addresses in turn until one
    /// accepts; the last error is thrown when none does.
    ///
    /// `timeout` bounds the name lookup and then each connection attempt.
    /// - Throws: ``TorusError``: `.resolve` with `.unresolvable`, or `.timedOut` when the
    ///   lookup outlasts `timeout`; then the errors of ``connect(to:timeout:on:)``.
    public static func connect(
        host: String, port: Int, timeout: Duration? = nil, on loop: EventLoop? = nil
    ) async throws -> TCPConnection {
        let loop = try EventLoop.resolve(loop, for: .connect)
        let addresses = try await loop.onLoop(.resolve) {
            guard let timeout else { return try await Resolver.resolve(host: host, port: port) }
            do {
                return try await withTimeout(timeout) { try await Resolver.resolve(host: host, port: port) }
            } catch let error as TorusError where error.operation == .withTimeout {
                throw TorusError(.resolve, .timedOut)
            }
        }
        var lastError: any Error = TorusError(.connect, .unresolvable(host))
        for address in addresses {
            do {
                return try await connect(to: address, timeout: timeout, on: loop)
            } catch let error as TorusError where error.errno != nil || error.reason == .timedOut {
                lastError = error
            }
        }
        throw lastError
    }

    /// Reads up to `buffer.count` bytes into `buffer`; returns 0 at end of stream.
    ///
    /// `buffer` must stay valid until the call returns (also when it throws: a cancelled
    /// read returns only after the kernel has let go of the buffer).
    /// - Throws: `.timedOut` after `timeout`; `.system(.connectionReset)`; `.closed`;
    ///   `CancellationError`.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration? = nil) async throws -> Int {
        // On the loop, not through `onLoop`: awaiting its closure costs an executor hop.
        guard loop.isCurrent else {
            return try await loop.onLoop(.read) { try await read(into: buffer, timeout: timeout) }
        }
        try checkNotServed(.read)
        return Int(try await descriptor.perform(.read, timeout: timeout) { Receive(fd: $0, buffer: buffer) })
    }

    /// Reads up to `maxBytes` bytes (at most 16 MiB per call) into a new array; an empty
    /// array means end of stream. Allocates: prefer ``read(into:timeout:)`` with a reused
    /// buffer on hot paths.
    public func read(upTo maxBytes: Int, timeout: Duration? = nil) async throws -> [UInt8] {
        guard maxBytes > 0 else {
            throw TorusError(.read, .invalidArgument("maxBytes must be positive, got \(maxBytes)"))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(maxBytes, 1 << 24), alignment: 1)
        defer { buffer.deallocate() }
        let count = try await read(into: buffer, timeout: timeout)
        return Array(buffer.prefix(count))
    }

    /// Writes every byte of `bytes`, continuing after partial sends.
    ///
    /// `timeout` bounds each send, not the whole write. A closed peer surfaces as
    /// `.system(.brokenPipe)` or `.system(.connectionReset)`, never as SIGPIPE.
    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer, timeout: Duration? = nil) async throws {
        // On the loop, not through `onLoop`: awaiting its closure costs an executor hop.
        guard loop.isCurrent else { return try await loop.onLoop(.write) { try await write(bytes, timeout: timeout) } }
        try checkNotServed(.write)
        var remaining = bytes
        while !remaining.isEmpty {
            let chunk = remaining
            let sent = try await descriptor.perform(.write, timeout: timeout) { Send(fd: $0, bytes: chunk) }
            remaining = UnsafeRawBufferPointer(rebasing: remaining[Int(sent)...])
        }
    }

    /// Writes every byte of `bytes` (copied once into a buffer the kernel may read).
    public func write(_ bytes: some Collection<UInt8>, timeout: Duration? = nil) async throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        try await write(UnsafeRawBufferPointer(buffer), timeout: timeout)
    }

    /// Which halves of the connection ``shutdown(_:)`` closes.
    public enum ShutdownDirection: Sendable {
        /// No more reads (further reads return end of stream).
        case read
        /// No more writes: the peer reads end of stream.
        case write
        /// Both.
        case both
    }

    /// Shuts down one or both directions; the descriptor stays open until ``close()``.
    /// After the peer reset the connection there is nothing left to shut down, and it
    /// returns quietly (the kernel's ENOTCONN is absorbed).
    public func shutdown(_ direction: ShutdownDirection = .write) throws {
        let fd = try onLoopDescriptor(.shutdown)
        let how: Int32 =
            switch direction {
            case .read: Int32(SHUT_RD)
            case .write: Int32(SHUT_WR)
            case .both: Int32(SHUT_RDWR)
            }
        if CLiburing.shutdown(fd, how) != 0 && Glibc.errno != ENOTCONN { throw TorusError(.shutdown, .system(.last)) }
    }

    /// Whether a read would return at once: the peer sent bytes not yet read, closed its
    /// side, or the connection failed. One non-blocking peek (`recv` with `MSG_PEEK`),
    /// no suspension and nothing consumed, on either reactor: how a pool tells that an
    /// idle keep-alive connection is no longer clean.
    ///
    /// - Throws: ``TorusError`` `.notOnLoop` off the loop thread; `.closed`.
    public func hasPendingInput() throws -> Bool {
        let fd = try onLoopDescriptor(.read)
        var byte: UInt8 = 0
        let result = recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        return result >= 0 || (Glibc.errno != EAGAIN && Glibc.errno != EWOULDBLOCK)
    }

    /// Throws `.invalidArgument` when the connection is served by a handler
    /// (``serve(with:)``), which owns its reads and writes: bytes read or written
    /// beside it would interleave with the handler's.
    @inline(__always)
    func checkNotServed(_ operation: TorusError.Operation) throws(TorusError) {
        if descriptor.stream != nil {
            throw TorusError(operation, .invalidArgument("the connection is served by a handler"))
        }
    }

    /// Cancels reads and writes in flight (they throw `.closed`) and closes the socket.
    /// Using the connection afterwards, or closing it again, throws `.closed`.
    public func close() async throws {
        try await loop.onLoop(.close) { try await descriptor.close() }
    }

    /// Sets a socket option such as ``SocketOption/noDelay(_:)``.
    public func setOption(_ option: SocketOption) throws {
        try option.apply(to: try onLoopDescriptor(.socketOption))
    }

    /// The local address and port.
    public var localAddress: SocketAddress {
        get throws { try address(getsockname) }
    }

    /// The peer's address and port.
    public var remoteAddress: SocketAddress {
        get throws { try address(getpeername) }
    }

    private func address(
        _ query: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) throws -> SocketAddress {
        try SocketAddress.query(try onLoopDescriptor(.address), query)
    }

    private func onLoopDescriptor(_ operation: TorusError.Operation) throws(TorusError) -> Int32 {
        guard loop.isCurrent else { throw loop.notOnLoop(operation) }
        return try descriptor.usableFD(for: operation)
    }
}

extension SocketAddress {
    /// Reads a socket's local or peer address with `getsockname` or `getpeername`.
    static func query(
        _ fd: Int32,
        _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) throws(TorusError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let address = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                call(fd, address, &length) == 0 ? SocketAddress(address, length: length) : nil
            }
        }
        guard let address else { throw TorusError(.address, .system(.last)) }
        return address
    }
}
