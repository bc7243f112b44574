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

    /// Applies the option to `fd`.
    func apply(to fd: Int32) throws(TorusError) {
        let (level, name, value): (Int32, Int32, Int) =
            switch self {
            case .noDelay(let on): (Int32(IPPROTO_TCP), TCP_NODELAY, on ? 1 : 0)
            case .keepAlive(let on): (SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0)
            case .receiveBufferSize(let size): (SOL_SOCKET, SO_RCVBUF, size)
            case .sendBufferSize(let size): (SOL_SOCKET, SO_SNDBUF, size)
            case .reuseAddress(let on): (SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0)
            case .reusePort(let on): (SOL_SOCKET, SO_REUSEPORT, on ? 1 : 0)
            }
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
