import HTTPTypes
import Logging
import Torus

/// An HTTP/1.1 server on a ``Torus/TCPListener``: every request, read in full, goes to a
/// handler that returns the response; connections are kept alive until the client closes
/// them or asks to (`Connection: close`), and pipelined requests are answered in order,
/// their responses sent together.
///
/// Requests are read by Torus's own parser (``HTTPRequestFramer``, strict RFC 9112,
/// checked against SwiftNIO's decoder by a differential fuzzer) in place in a reused
/// buffer per connection, and responses encoded into another: no allocation per request
/// of the server's own. What a request may be is bounded (``maxHeaderSize``,
/// ``maxTargetLength``, ``maxFieldCount``, ``maxBodySize``) and so is how
/// long a client may take (``headTimeout``, ``idleTimeout``, ``bodyTimeout``,
/// ``sendTimeout``): a request past a limit is answered with its status (400, 408, 413,
/// 414, 431, 501, 505) and the connection closed.
///
/// A handler that throws makes the server drop that connection without answering
/// (tests use this to play a failing server).
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
    /// Answers one request: its head (method, path, authority, fields) and its whole body
    /// (at most ``maxBodySize`` bytes: a larger one is answered 413 without a call).
    public typealias Handler = @Sendable (HTTPRequest, [UInt8]) async throws -> HTTPServerResponse
    /// Answers one request whose body it reads as it arrives (``HTTPRequestBody``): for
    /// uploads larger than memory should hold, or a route with its own body limit.
    public typealias StreamingHandler = @Sendable (HTTPRequest, HTTPRequestBody) async throws -> HTTPServerResponse

    /// Where connections come from.
    public let listener: TCPListener
    /// The largest request head, in bytes (431 beyond): 16 KiB by default, as large as
    /// real browsers' heads get with their cookies, a quarter of nginx's 4 x 8 KiB.
    public var maxHeaderSize = 16 * 1024
    /// The longest request target, in bytes (414 beyond): 8 KiB by default.
    public var maxTargetLength = 8 * 1024
    /// The most header fields in a request (431 beyond): 100 by default.
    public var maxFieldCount = 100
    /// The largest request body, in bytes, for a ``Handler`` (which gets the body whole,
    /// in memory: a larger one, announced by Content-Length or grown chunk by chunk, is
    /// answered 413) and by default for ``HTTPRequestBody/collect(upTo:)``; also the most
    /// of a body a ``StreamingHandler`` left unread that is skipped to keep the connection.
    public var maxBodySize = 1024 * 1024
    /// How long a client may take to send a whole request head, from its first byte
    /// (408 after): 10 seconds by default. A per-read timeout would not stop a client
    /// that sends one byte every few seconds (slowloris); this deadline does.
    public var headTimeout: Duration = .seconds(10)
    /// How long a kept-alive connection may wait for its next request before the server
    /// closes it: 30 seconds by default.
    public var idleTimeout: Duration = .seconds(30)
    /// How long the server waits for each read of a request body (408 after): 30 seconds.
    public var bodyTimeout: Duration = .seconds(30)
    /// How long each send of a response may wait for a client that does not read before
    /// the connection is closed: 30 seconds.
    public var sendTimeout: Duration = .seconds(30)
    /// Where the server says, at debug level and once per event, which request it refused
    /// and why, and which connection it closed at a timeout (`torus.http.server`).
    public var logger = Logger(label: "torus.http.server")
    /// The most connections served at once: 10,000 by default. At the limit the server
    /// stops accepting (new clients wait in the kernel's listen backlog, then retry)
    /// until one leaves, rather than failing or running out of descriptors.
    public var maxConnections = 10_000
    /// How long a graceful stop (``stop()``) lets requests in flight finish before it
    /// closes their connections: 10 seconds by default, long enough for a handler that
    /// answers in well under a second, and well inside the time process managers wait
    /// after SIGTERM before they kill (Kubernetes 30 s, systemd 90 s).
    public var gracePeriod: Duration = .seconds(10)
    /// How requests are answered.
    enum Responder: Sendable {
        case collected(Handler)
        case streaming(StreamingHandler)
    }

    let responder: Responder

    /// A server for the connections `listener` accepts, answered by `handler` with each
    /// request's whole body.
    public init(listener: TCPListener, handler: @escaping Handler) {
        self.init(listener: listener, responder: .collected(handler))
    }

    private init(listener: TCPListener, responder: Responder) {
        self.listener = listener
        self.responder = responder
    }

    /// A server for the connections `listener` accepts, answered by `handler`, which reads
    /// each request's body as it arrives (a static function rather than an initializer,
    /// so that a trailing closure picks one unambiguously).
    public static func streaming(listener: TCPListener, handler: @escaping StreamingHandler) -> HTTPServer {
        HTTPServer(listener: listener, responder: .streaming(handler))
    }

    /// Serves until ``stop()`` (gracefully) or the task's cancellation (at once); each
    /// connection runs in a child task. Closes the listener before returning.
    /// - Throws: ``Torus/TorusError`` `.notOnLoop` when not called on the listener's loop.
    public func serve() async throws {
        guard listener.loop.isCurrent else { throw listener.loop.notOnLoop(.accept) }
        let connections = try HTTPServerConnections(loop: listener.loop)
        let date = HTTPDate()
        do {
            try await withThrowingDiscardingTaskGroup { group in
                let interval = sweepInterval
                group.addTask { await connections.sweep(every: interval) }
                var accepted = listener.connections.makeAsyncIterator()
                // At the connection limit accepting pauses (the kernel queues new clients
                // in the listen backlog) until one leaves or the server stops.
                while await connections.waitForRoom(below: maxConnections, unlessClosed: listener),
                    let connection = try await accepted.next()
                {
                    let (id, entry) = connections.add(connection)
                    group.addTask {
                        // One client's trouble (a bad request, a reset) ends only its connection.
                        try? await serve(entry, in: connections, date: date)
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

    /// How often the timeouts are checked: a quarter of the shortest, between 10 ms and
    /// 1 s (so a timeout ends at most a quarter, or a second, late).
    var sweepInterval: Duration {
        min(max(min(headTimeout, idleTimeout, bodyTimeout, sendTimeout) / 4, .milliseconds(10)), .seconds(1))
    }

    /// Stops ``serve()`` gracefully: closes the listener, so no connection is accepted
    /// any more; `serve()` then closes the connections that wait for a request, lets the
    /// requests in flight finish (answered with `Connection: close`) for at most
    /// ``gracePeriod``, and returns. Returns once the listener is closed; call from any
    /// task or thread, and again to no effect.
    public func stop() async {
        try? await listener.close()
    }
}
