import TorusTestSupport
import Glibc

/// Ports on 127.0.0.1, for a server that cannot be told to pick its own and say which
/// (nginx): the parent picks a free one and waits until the server accepts on it.
enum LocalPort {
    /// A port nothing listens on now: the kernel's pick for a socket bound to port 0.
    static func free() throws -> Int {
        let socket = try self.socket()
        defer { close(socket) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw SupportError.spawnFailed("a free port", errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a server accepts connections on `port` (connects once, then closes).
    static func accepts(_ port: Int) -> Bool {
        guard let socket = try? self.socket() else { return false }
        defer { close(socket) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Waits up to `seconds` for a server to accept on `port`; returns whether it did.
    static func waitUntilAccepting(_ port: Int, seconds: Double = 10) -> Bool {
        for _ in 0..<Int(seconds * 100) {
            if accepts(port) { return true }
            pauseThread(seconds: 0.01)
        }
        return accepts(port)
    }

    private static func socket() throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw SupportError.spawnFailed("a socket", errno) }
        return socket
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}
