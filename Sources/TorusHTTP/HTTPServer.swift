import HTTPTypes
import NIOCore
import NIOHTTP1
import Torus

/// A small HTTP/1.1 server on a ``Torus/TCPListener``: every request, read in full, goes
/// to a handler that returns the response; connections are kept alive until the client
/// closes them or asks to (`Connection: close`).
///
/// A handler that throws makes the server drop that connection without answering
/// (tests use this to play a failing server). A request whose body would pass
/// ``maxBodySize`` is answered 413 without reaching the handler, and its connection
/// closed.
///
/// Run ``serve()`` in a task pinned to the listener's loop. Two ways stop it:
/// - ``stop()`` (or closing the listener) stops it gracefully, as a server behind a load
///   balancer or a process manager should on SIGTERM: no new connection is accepted,
///   connections waiting for a request (idle keep-alive ones) are closed at once, a
///   request on its way in or being answered is finished and answered with
///   `Connection: close`, and whatever is still open after ``gracePeriod`` is closed.
/// - Cancelling the task stops it at once: every connection is closed and its handler's
///   task cancelled. Cancelling during a graceful stop cuts the grace period short.
///
/// Either way `serve()` returns once every connection is closed and the listener too.
public struct HTTPServer: Sendable {
    /// Answers one request: its head (method, path, authority, fields) and body.
    public typealias Handler = @Sendable (HTTPRequest, [UInt8]) async throws -> HTTPServerResponse

    /// Where connections come from.
    public let listener: TCPListener
    /// The largest request head, in bytes.
    public var maxHeaderSize = 80 * 1024
    /// The largest request body, in bytes: a server holds each body in memory, so a
    /// larger one (announced by Content-Length, or grown chunk by chunk) is refused.
    public var maxBodySize = 1024 * 1024
    /// How long a graceful stop (``stop()``) lets requests in flight finish before it
    /// closes their connections: 10 seconds by default, long enough for a handler that
    /// answers in well under a second, and well inside the time process managers wait
    /// after SIGTERM before they kill (Kubernetes 30 s, systemd 90 s).
    public var gracePeriod: Duration = .seconds(10)
    private let handler: Handler

    /// A server for the connections `listener` accepts, answered by `handler`.
    public init(listener: TCPListener, handler: @escaping Handler) {
        self.listener = listener
        self.handler = handler
    }

    /// Serves until ``stop()`` (gracefully) or the task's cancellation (at once); each
    /// connection runs in a child task. Closes the listener before returning.
    /// - Throws: ``Torus/TorusError`` `.notOnLoop` when not called on the listener's loop.
    public func serve() async throws {
        guard listener.loop.isCurrent else { throw listener.loop.notOnLoop(.accept) }
        let connections = try HTTPServerConnections(loop: listener.loop)
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in listener.connections {
                    let id = connections.add(connection)
                    group.addTask {
                        // One client's trouble (a bad request, a reset) ends only its connection.
                        try? await serve(connection, id: id, in: connections)
                        connections.remove(id)
                        try? await connection.close()
                    }
                }
                // The listener closed: a graceful stop. Handlers still running at its end
                // are cancelled.
                await connections.stop(gracePeriod: gracePeriod)
                group.cancelAll()
            }
        } catch is CancellationError {}
        try? await listener.close()
    }

    /// Stops ``serve()`` gracefully: closes the listener, so no connection is accepted
    /// any more; `serve()` then closes the connections that wait for a request, lets the
    /// requests in flight finish (answered with `Connection: close`) for at most
    /// ``gracePeriod``, and returns. Returns once the listener is closed; call from any
    /// task or thread, and again to no effect.
    public func stop() async {
        try? await listener.close()
    }

    /// Answers the requests on one connection in order, until it closes.
    private func serve(_ connection: TCPConnection, id: Int, in connections: HTTPServerConnections) async throws {
        let codec = try HTTPCodec<HTTPServerRequestPart, HTTPServerResponsePart>(maxHeaderSize: maxHeaderSize)
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        while true {
            // Bytes arrive in the loop's pooled receive buffers, decoded before the buffer
            // goes back: a connection holds no read buffer of its own between requests
            // (a 64 KiB one each, made and freed per connection, fragmented the heap
            // under churn: `torus-bench soak`).
            guard let decoded = try await connection.receive({ bytes in bytes.isEmpty ? nil : try codec.decode(bytes) })
            else { return }
            connections.set(id, .inRequest)
            for part in decoded {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = []
                    let announced = requestHead.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
                    if announced > maxBodySize { return try await refuseTooLarge(connection, codec) }
                case .body(let bytes):
                    if body.count + bytes.readableBytes > maxBodySize {
                        return try await refuseTooLarge(connection, codec)
                    }
                    body += bytes.readableBytesView
                case .end:
                    guard let requestHead = head else { return }
                    let response = try await handler(HTTPRequest(requestHead), body)
                    let closing = !requestHead.isKeepAlive || connections.isStopping
                    try await connection.write(
                        try codec.encode(parts(of: response, for: requestHead, closing: closing)))
                    if closing { return }
                }
            }
            // Bytes after the last request's end would be a next request's first ones, but
            // the decoder keeps a partial head to itself: a read that ended with a whole
            // request counts as waiting (a stop closes such a connection, which a client
            // may take as its cue to retry, RFC 9112 section 9.3.1).
            if case .end = decoded.last { connections.set(id, .waitingForRequest) }
        }
    }

    /// Answers 413 to a request whose body passes ``maxBodySize``, then closes the way
    /// nginx's lingering close does: the rest of that body is still on its way, and closing
    /// with unread bytes would reset the connection, which can discard the 413 before the
    /// client reads it. So the server half-closes and drains (up to ``maxBodySize`` more
    /// bytes, for at most 5 seconds in all) before the caller closes.
    private func refuseTooLarge(
        _ connection: TCPConnection, _ codec: HTTPCodec<HTTPServerRequestPart, HTTPServerResponsePart>
    ) async throws {
        let headers = HTTPHeaders([("Content-Length", "0"), ("Connection", "close")])
        let head = HTTPResponseHead(version: .http1_1, status: .payloadTooLarge, headers: headers)
        try await connection.write(try codec.encode([.head(head), .end(nil)]))
        try connection.shutdown(.write)
        let deadline = ContinuousClock.now + .seconds(5)
        var drained = 0
        while drained <= maxBodySize {
            let left = deadline - .now
            if left <= .zero { return }
            let count = try await connection.receive(timeout: left) { $0.count }
            if count == 0 { return }
            drained += count
        }
    }

    /// The parts NIO's encoder turns into the response's bytes; `closing` says
    /// `Connection: close`.
    private func parts(
        of response: HTTPServerResponse, for request: HTTPRequestHead, closing: Bool
    ) -> [HTTPServerResponsePart] {
        var headers = HTTPHeaders(response.headerFields)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if closing { headers.replaceOrAdd(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status.code, reasonPhrase: response.status.reasonPhrase)
        var parts: [HTTPServerResponsePart] = [
            .head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))
        ]
        if request.method != .HEAD, !response.body.isEmpty {
            parts.append(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
        }
        parts.append(.end(nil))
        return parts
    }
}

extension HTTPRequest {
    /// A request head as NIO decoded it; the authority is the Host field.
    init(_ head: HTTPRequestHead) {
        self.init(
            method: HTTPRequest.Method(head.method.rawValue) ?? .get, scheme: nil,
            authority: head.headers.first(name: "host"), path: head.uri, headerFields: HTTPFields(head.headers))
    }
}
