import Glibc
import Torus

// Three clients that fetch every page of the slow server, as the talk does: blocking
// sockets (one page after the other), callbacks on the loop, and async/await. Each
// writes a hand-rolled HTTP/1.1 request and reads until the server closes.

/// One page as the server sent it.
package struct Response: Sendable, Equatable {
    /// The path asked for.
    package var path: String
    /// Every byte received: status line, headers, body.
    package var bytes: [UInt8]

    /// "HTTP/1.1 200 OK".
    package var statusLine: String {
        String(decoding: bytes.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
    }
}

/// The request the clients send for `path`.
func request(for path: String) -> [UInt8] {
    Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
}

// MARK: - 1. Blocking sockets

/// Fetches the pages one after the other with plain blocking sockets: each call waits,
/// so the total is the sum of the pages' times. Blocks the calling thread.
package func fetchAllBlocking(port: Int) throws -> [Response] {
    try demoPaths.map { try fetchBlocking(port: port, path: $0) }
}

private func fetchBlocking(port: Int, path: String) throws -> Response {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BlockingSocketError(call: "socket") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { throw BlockingSocketError(call: "connect") }
    let sent = request(for: path).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    guard sent >= 0 else { throw BlockingSocketError(call: "send") }  // a short request fits in one send
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw BlockingSocketError(call: "recv") }
        if count == 0 { return Response(path: path, bytes: received) }
        received += buffer[..<count]
    }
}

/// A blocking socket call failed.
package struct BlockingSocketError: Error, CustomStringConvertible {
    /// The call that failed.
    package var call: String
    /// Its errno.
    package var errno: Int32 = Glibc.errno

    /// "connect failed: errno 111".
    package var description: String { "\(call) failed: errno \(errno)" }
}

// MARK: - 2. Callbacks on the loop

/// Fetches every page concurrently with callbacks only, on `loop`'s thread, and calls
/// `completion` there once all are in (in `demoPaths` order) or one failed. Call it on
/// the loop thread.
package func fetchAllWithCallbacks(
    port: Int, on loop: EventLoop, completion: @escaping (Result<[Response], any Error>) -> Void
) {
    var responses: [Response?] = demoPaths.map { _ in nil }
    var finished = false
    for (index, path) in demoPaths.enumerated() {
        let fetcher = CallbackFetcher(path: path, loop: loop) { result in
            guard !finished else { return }
            switch result {
            case .success(let response):
                responses[index] = response
                if responses.allSatisfy({ $0 != nil }) {
                    finished = true
                    completion(.success(responses.map { $0! }))
                }
            case .failure(let error):
                finished = true
                completion(.failure(error))
            }
        }
        fetcher.start(port: port)
    }
}

/// One page fetched the callback way: each step starts an operation and names the
/// method to call when it is done (the talk's `Fetcher`).
private final class CallbackFetcher {
    let path: String
    let loop: EventLoop
    let done: (Result<Response, any Error>) -> Void
    var connection: TCPConnection?
    var received: [UInt8] = []

    init(path: String, loop: EventLoop, done: @escaping (Result<Response, any Error>) -> Void) {
        self.path = path
        self.loop = loop
        self.done = done
    }

    func start(port: Int) {
        TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!, on: loop) { result in
            self.step(result) { connection in
                self.connection = connection
                connection.write(request(for: self.path)) { self.step($0) { self.readMore() } }
            }
        }
    }

    func readMore() {
        connection!.read(upTo: 4096) { result in
            self.step(result) { chunk in
                if chunk.isEmpty {
                    self.finish(.success(Response(path: self.path, bytes: self.received)))
                } else {
                    self.received += chunk
                    self.readMore()
                }
            }
        }
    }

    /// Goes on with `next` after a success; after a failure, closes and reports it.
    func step<Value>(_ result: Result<Value, any Error>, next: (Value) -> Void) {
        switch result {
        case .success(let value): next(value)
        case .failure(let error): finish(.failure(error))
        }
    }

    func finish(_ result: Result<Response, any Error>) {
        guard let connection else { return done(result) }
        connection.close { _ in self.done(result) }
    }
}

// MARK: - 3. async/await

/// Fetches every page concurrently with async/await: the callback client's logic,
/// written as straight-line code. Call it from a task pinned to a loop.
package func fetchAllAsync(port: Int) async throws -> [Response] {
    try await gather(demoPaths.map { path in { try await fetchAsync(port: port, path: path) } })
}

private func fetchAsync(port: Int, path: String) async throws -> Response {
    let connection = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!)
    var received: [UInt8] = []
    do {
        try await connection.write(request(for: path))
        while case let chunk = try await connection.read(upTo: 4096), !chunk.isEmpty {
            received += chunk
        }
    } catch {
        // As the callback client's `finish`: a failed fetch closes its socket too.
        try? await connection.close()
        throw error
    }
    try await connection.close()
    return Response(path: path, bytes: received)
}
