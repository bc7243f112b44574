import CLiburing
import Dispatch

/// Host name resolution. `getaddrinfo` blocks, so it runs on a Dispatch worker, never
/// on a loop thread; numeric addresses skip it.
enum Resolver {
    /// The addresses of `host` for TCP on `port`, IPv4 and IPv6, in resolver order.
    static func resolve(host: String, port: Int) async throws -> [SocketAddress] {
        guard (0...65535).contains(port) else {
            throw TorusError(.resolve, .invalidArgument("port \(port) is outside 0...65535"))
        }
        if let numeric = SocketAddress(ip: host, port: port) { return [numeric] }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try lookUp(host: host, port: port) })
            }
        }
    }

    private static func lookUp(host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            throw TorusError(.resolve, .unresolvable("\(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let info = entry {
            if let address = info.pointee.ai_addr,
                let socketAddress = SocketAddress(address, length: info.pointee.ai_addrlen),
                !addresses.contains(socketAddress)
            {
                addresses.append(socketAddress)
            }
            entry = info.pointee.ai_next
        }
        if addresses.isEmpty { throw TorusError(.resolve, .unresolvable("\(host): no addresses")) }
        return addresses
    }
}
