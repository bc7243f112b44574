import ServiceLifecycle
import Torus
import TorusHTTP

/// An ``TorusHTTP/HTTPServer`` as a swift-service-lifecycle `Service`: a `ServiceGroup`
/// runs it, and stops it gracefully when the group shuts down (on one of its graceful
/// shutdown signals, or when another service ends).
///
/// ``run()`` serves on the listener's loop until graceful shutdown is triggered, then
/// stops the server the graceful way (``TorusHTTP/HTTPServer/stop()``: no new
/// connection, idle keep-alive connections closed at once, requests in flight finished
/// within ``TorusHTTP/HTTPServer/gracePeriod``) and returns once every connection is
/// closed. Cancelling its task stops the server at once.
///
/// ```swift
/// import Logging
/// import ServiceLifecycle
/// import Torus
/// import TorusHTTP
/// import TorusService
///
/// @main struct Server {
///     static func main() async throws {
///         try await withEventLoop { _ in  // this task runs on the loop from here
///             let listener = try TCPListener.bind(to: SocketAddress(ip: "0.0.0.0", port: 8080)!)
///             var server = HTTPServer(listener: listener) { request, body in
///                 HTTPServerResponse(status: .ok, body: Array("hello\n".utf8))
///             }
///             server.gracePeriod = .seconds(5)
///             let group = ServiceGroup(
///                 services: [HTTPServerService(server)],
///                 gracefulShutdownSignals: [.sigterm, .sigint],
///                 logger: Logger(label: "server"))
///             try await group.run()  // returns once SIGTERM or Ctrl-C stopped the server
///         }
///     }
/// }
/// ```
///
/// The group traps its signals itself (Dispatch signal sources); do not also watch them
/// with ``Torus/Signals`` (a signal has one disposition per process). `torus-bench serve http
/// --service-lifecycle` runs this, and a test stops it with SIGTERM while a keep-alive
/// client is connected.
public struct HTTPServerService: Service {
    /// The server run.
    public let server: HTTPServer

    /// A service that runs `server`.
    public init(_ server: HTTPServer) {
        self.server = server
    }

    /// Serves until graceful shutdown (then stops gracefully) or cancellation (then at
    /// once); returns once every connection and the listener are closed.
    /// - Throws: what ``TorusHTTP/HTTPServer/serve()`` throws: ``Torus/TorusError``.
    public func run() async throws {
        let server = server
        try await withGracefulShutdownHandler {
            try await server.listener.loop.run { try await server.serve() }
        } onGracefulShutdown: {
            Task { await server.stop() }
        }
    }
}
