import Foundation
import HTTPTypes
import Synchronization
import Torus
import TorusHTTP

// Helpers for the HTTP and crawler tests: a TorusHTTP server, and a raw server that
// answers with canned bytes (for responses no well-behaved server would send).

/// Runs `body` with a TorusHTTP server on 127.0.0.1 answering with `handler`; `body` gets
/// its base URL ("http://127.0.0.1:PORT"). `configure` may change the server's limits.
/// Stops the server afterwards. Call on a loop.
func withHTTPServer<Result: Sendable>(
    _ handler: @escaping HTTPServer.Handler, configure: (inout HTTPServer) -> Void = { _ in },
    _ body: @Sendable (String) async throws -> Result
) async throws -> Result {
    let listener = try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: 0)!)
    var server = HTTPServer(listener: listener, handler: handler)
    configure(&server)
    return try await serving(server.serve, base: "http://127.0.0.1:\(listener.localAddress.port)", body)
}

/// Runs `body` with a server on 127.0.0.1 that reads one request head per connection,
/// hands the connection and the request's path to `respond` (which writes what it
/// likes), then closes the connection.
func withRawServer<Result: Sendable>(
    _ respond: @escaping @Sendable (TCPConnection, String) async throws -> Void,
    _ body: @Sendable (String) async throws -> Result
) async throws -> Result {
    let listener = try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: 0)!)
    let serve: @Sendable () async throws -> Void = {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in listener.connections {
                    group.addTask {
                        if let path = try? await readRequestPath(connection) { try? await respond(connection, path) }
                        try? await connection.close()
                    }
                }
            }
        } catch is CancellationError {}
        try? await listener.close()
    }
    return try await serving(serve, base: "http://127.0.0.1:\(listener.localAddress.port)", body)
}

/// Runs `serve` in a child task while `body` runs, then cancels it and waits for it.
private func serving<Result: Sendable>(
    _ serve: @escaping @Sendable () async throws -> Void, base: String,
    _ body: @Sendable (String) async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await serve() }
        do {
            let result = try await body(base)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// Reads a request head (up to 16 KiB) and returns its path.
private func readRequestPath(_ connection: TCPConnection) async throws -> String {
    var request: [UInt8] = []
    while !String(decoding: request, as: UTF8.self).contains("\r\n\r\n"), request.count < 16384 {
        let chunk = try await connection.read(upTo: 4096, timeout: .seconds(10))
        if chunk.isEmpty { break }
        request += chunk
    }
    let line = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
    return line.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
}

/// A text/html response with `html` as its body.
func htmlPage(_ html: String) -> HTTPServerResponse {
    HTTPServerResponse(contentType: "text/html; charset=utf-8", text: html)
}

/// Runs `body` with a server on 127.0.0.1 that keeps each connection open: for every
/// request head read on it, hands the connection and the head (its text) to `respond`,
/// which writes what it likes; the connection ends when the client closes it. `body`
/// gets the base URL and the count of connections accepted so far.
func withRawKeepAliveServer<Result: Sendable>(
    _ respond: @escaping @Sendable (TCPConnection, String) async throws -> Void,
    _ body: @Sendable (String, Counter) async throws -> Result
) async throws -> Result {
    let listener = try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: 0)!)
    let accepted = Counter()
    let serve: @Sendable () async throws -> Void = {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in listener.connections {
                    accepted.increment()
                    group.addTask {
                        var pending: [UInt8] = []
                        while let head = try? await readRequestHead(connection, pending: &pending) {
                            guard (try? await respond(connection, head)) != nil else { break }
                        }
                        try? await connection.close()
                    }
                }
            }
        } catch is CancellationError {}
        try? await listener.close()
    }
    let base = "http://127.0.0.1:\(listener.localAddress.port)"
    return try await serving(serve, base: base) { try await body($0, accepted) }
}

/// Reads one request head (through its blank line) from `connection`, keeping bytes
/// after it in `pending`; nil at end of stream.
private func readRequestHead(_ connection: TCPConnection, pending: inout [UInt8]) async throws -> String? {
    let blankLine = Array("\r\n\r\n".utf8)
    while true {
        if let end = pending.indices.first(where: { pending[$0...].starts(with: blankLine) }) {
            let head = String(decoding: pending[..<end], as: UTF8.self)
            pending.removeFirst(end + blankLine.count)
            return head
        }
        let chunk = try await connection.read(upTo: 4096, timeout: .seconds(10))
        if chunk.isEmpty || pending.count > 16384 { return nil }
        pending += chunk
    }
}

/// The path of a request head's request line.
func requestPath(_ head: String) -> String {
    let line = head.prefix { $0 != "\r" }
    return line.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
}

/// A keep-alive HTTP/1.1 response whose body is `body`, with Content-Length.
func okResponse(_ body: String, fields: String = "") -> [UInt8] {
    Array("HTTP/1.1 200 OK\r\n\(fields)Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
}

/// A keep-alive HTTP/1.1 GET of `path`.
func keepAliveRequest(_ path: String) -> [UInt8] {
    Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
}

/// Reads one response whose body is as long as its Content-Length says; its text.
func readHTTPResponse(_ connection: TCPConnection) async throws -> String {
    var bytes: [UInt8] = []
    while true {
        let text = String(decoding: bytes, as: UTF8.self)
        if let end = text.range(of: "\r\n\r\n") {
            let length =
                text[..<end.lowerBound].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if text[end.upperBound...].utf8.count >= length { return text }
        }
        let chunk = try await connection.read(upTo: 4096, timeout: .seconds(10))
        if chunk.isEmpty { return text }
        bytes += chunk
    }
}

/// The port of a base URL ("http://127.0.0.1:PORT").
func port(of base: String) -> Int { Int(base.split(separator: ":").last!)! }

/// A new connection to 127.0.0.1:`port`.
func connect(port: Int) async throws -> TCPConnection {
    try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!)
}

/// Sends `request` on a new connection (then half-closes it, if `halfClosing`), and
/// reads until the server closes it.
func exchange(_ request: [UInt8], port: Int, halfClosing: Bool = false) async throws -> String {
    let connection = try await connect(port: port)
    try await connection.write(request)
    if halfClosing { try connection.shutdown(.write) }
    var response: [UInt8] = []
    while true {
        let chunk = try await connection.read(upTo: 65536, timeout: .seconds(10))
        if chunk.isEmpty { break }
        response += chunk
    }
    try await connection.close()
    return String(decoding: response, as: UTF8.self)
}
