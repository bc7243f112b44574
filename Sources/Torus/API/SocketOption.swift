import CLiburing
import Glibc
import SystemPackage

/// A socket option Torus knows how to set.
public enum SocketOption: Sendable, Hashable {
    /// TCP_NODELAY: send small segments at once instead of waiting (Nagle off).
    case noDelay(Bool)
    /// SO_KEEPALIVE: probe idle connections.
    case keepAlive(Bool)
    /// SO_RCVBUF, in bytes (the kernel doubles it for bookkeeping).
    case receiveBufferSize(Int)
    /// SO_SNDBUF, in bytes (the kernel doubles it for bookkeeping).
    case sendBufferSize(Int)
    /// SO_REUSEADDR: rebind a port still in TIME_WAIT.
    case reuseAddress(Bool)
    /// SO_REUSEPORT: several sockets (loops) listen on one port; the kernel balances.
    case reusePort(Bool)
    /// SO_LINGER with a timeout of 0: `close()` resets the connection (a RST, unsent
    /// bytes discarded, no TIME_WAIT) instead of ending it with a FIN. What an abrupt
    /// peer does; load generators and tests use it to play one.
    case resetOnClose(Bool)

    /// Applies the option to `fd`.
    func apply(to fd: Int32) throws(TorusError) {
        switch self {
        case .noDelay(let on): try set(fd, Int32(IPPROTO_TCP), TCP_NODELAY, on ? 1 : 0)
        case .keepAlive(let on): try set(fd, SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0)
        case .receiveBufferSize(let size): try set(fd, SOL_SOCKET, SO_RCVBUF, size)
        case .sendBufferSize(let size): try set(fd, SOL_SOCKET, SO_SNDBUF, size)
        case .reuseAddress(let on): try set(fd, SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0)
        case .reusePort(let on): try set(fd, SOL_SOCKET, SO_REUSEPORT, on ? 1 : 0)
        case .resetOnClose(let on):
            var linger = Glibc.linger(l_onoff: on ? 1 : 0, l_linger: 0)
            if setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size)) != 0 {
                throw TorusError(.socketOption, .system(.last))
            }
        }
    }

    /// Sets the integer option `name` at `level` of `fd` to `value` (a non-negative `Int32`).
    private func set(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int) throws(TorusError) {
        guard var int32 = Int32(exactly: value), int32 >= 0 else {
            throw TorusError(.socketOption, .invalidArgument("\(self) is out of range"))
        }
        if setsockopt(fd, level, name, &int32, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw TorusError(.socketOption, .system(.last))
        }
    }
}

extension Errno {
    /// The calling thread's `errno`.
    static var last: Errno { Errno(rawValue: Glibc.errno) }
}
