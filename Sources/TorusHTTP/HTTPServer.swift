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
/// closed. Run ``serve()`` in a task pinned to the listener's loop and cancel that task
/// to stop it.
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
    private let handler: Handler

    /// A server for the connections `listener` accepts, answered by `handler`.
    public init(listener: TCPListener, handler: @escaping Handler) {
        self.listener = listener
        self.handler = handler
    }

    /// Serves until the task is cancelled (or the listener closed); each connection runs
    /// in a child task. Closes the listener before returning.
    /// - Throws: ``Torus/TorusError`` `.notOnLoop` when not called on the listener's loop.
    public func serve() async throws {
        guard listener.loop.isCurrent else { throw TorusError(.accept, .notOnLoop) }
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in listener.connections {
                    group.addTask {
                        // One client's trouble (a bad request, a reset) ends only its connection.
                        try? await serve(connection)
                        try? await connection.close()
                    }
                }
            }
        } catch is CancellationError {}
        try? await listener.close()
    }

    /// Answers the requests on one connection in order, until it closes.
    private func serve(_ connection: TCPConnection) async throws {
        let codec = try HTTPCodec<HTTPServerRequestPart, HTTPServerResponsePart>(maxHeaderSize: maxHeaderSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        while true {
            let count = try await connection.read(into: buffer)
            if count == 0 { return }
            for part in try codec.decode(UnsafeRawBufferPointer(rebasing: buffer[..<count])) {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = []
                    let announced = requestHead.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
                    if announced > maxBodySize { return try await refuseTooLarge(connection, codec, buffer: buffer) }
                case .body(let bytes):
                    if body.count + bytes.readableBytes > maxBodySize {
                        return try await refuseTooLarge(connection, codec, buffer: buffer)
                    }
                    body += bytes.readableBytesView
                case .end:
                    guard let requestHead = head else { return }
                    let response = try await handler(HTTPRequest(requestHead), body)
                    try await connection.write(try codec.encode(parts(of: response, for: requestHead)))
                    if !requestHead.isKeepAlive { return }
                }
            }
        }
    }

    /// Answers 413 to a request whose body passes ``maxBodySize``, then closes the way
    /// nginx's lingering close does: the rest of that body is still on its way, and closing
    /// with unread bytes would reset the connection, which can discard the 413 before the
    /// client reads it. So the server half-closes and drains (up to ``maxBodySize`` more
    /// bytes, for at most 5 seconds in all) before the caller closes.
    private func refuseTooLarge(
        _ connection: TCPConnection, _ codec: HTTPCodec<HTTPServerRequestPart, HTTPServerResponsePart>,
        buffer: UnsafeMutableRawBufferPointer
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
            let count = try await connection.read(into: buffer, timeout: left)
            if count == 0 { return }
            drained += count
        }
    }

    /// The parts NIO's encoder turns into the response's bytes.
    private func parts(of response: HTTPServerResponse, for request: HTTPRequestHead) -> [HTTPServerResponsePart] {
        var headers = HTTPHeaders(response.headerFields)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !request.isKeepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
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
