import CLiburing
import Dispatch
import Synchronization

/// Host name resolution. `getaddrinfo` blocks, so it runs on a Dispatch worker, never
/// on a loop thread; numeric addresses skip it.
///
/// `getaddrinfo` cannot be interrupted, so a caller that is cancelled (or times out)
/// stops waiting at once and the worker's late answer is dropped: a slow DNS server
/// never holds a task past its deadline.
enum Resolver {
    /// How a name is looked up: `getaddrinfo` unless a test stands in for it.
    typealias LookUp = @Sendable (_ host: String, _ port: Int) throws -> [SocketAddress]

    /// The addresses of `host` for TCP on `port`, IPv4 and IPv6, in resolver order.
    /// - Throws: `.resolve` errors: `.invalidArgument` for a bad port, `.unresolvable`;
    ///   `CancellationError` as soon as the task is cancelled.
    static func resolve(host: String, port: Int, lookUp: @escaping LookUp = lookUp) async throws -> [SocketAddress] {
        guard (0...65535).contains(port) else {
            throw TorusError(.resolve, .invalidArgument("port \(port) is outside 0...65535"))
        }
        if let numeric = SocketAddress(ip: host, port: port) { return [numeric] }
        let pending = PendingLookup()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                pending.continuation.withTSanVisibleLock { $0 = continuation }
                // Cancelled before the continuation was stored: the handler found nothing.
                if Task.isCancelled { return pending.resume(with: .failure(CancellationError())) }
                DispatchQueue.global().async { pending.resume(with: Result { try lookUp(host, port) }) }
            }
        } onCancel: {
            pending.resume(with: .failure(CancellationError()))
        }
    }

    /// The continuation of one lookup, resumed once: by the answer or by cancellation,
    /// whichever comes first.
    private final class PendingLookup: Sendable {
        let continuation = Mutex<CheckedContinuation<[SocketAddress], any Error>?>(nil)

        func resume(with result: Result<[SocketAddress], any Error>) {
            continuation.withTSanVisibleLock { $0.take() }?.resume(with: result)
        }
    }

    @Sendable private static func lookUp(host: String, port: Int) throws -> [SocketAddress] {
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
