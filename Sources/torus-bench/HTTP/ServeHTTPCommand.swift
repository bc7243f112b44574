import ArgumentParser
import Logging
import ServiceLifecycle
import Torus
import TorusCommandLine
import TorusHTTP
import TorusService

/// `torus-bench serve http --port P`: the HTTP/1.1 plaintext server under test (`GET`
/// answered with `Hello, World!`, keep-alive): Torus or SwiftNIO (NIOHTTP1). Torus serves
/// with TorusHTTP's `HTTPServer`, the server users get, one per loop.
/// `--service-lifecycle` runs that `HTTPServer` the way a service would: as an
/// `HTTPServerService` in a swift-service-lifecycle `ServiceGroup`, which stops it
/// gracefully on SIGTERM or SIGINT.
struct ServeHTTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "HTTP/1.1 plaintext on 127.0.0.1; prints `listening <port>` when ready."
    )

    @OptionGroup var options: ServeOptions

    @Flag(
        help: """
            Run TorusHTTP's HTTPServer in a swift-service-lifecycle ServiceGroup, stopped gracefully on \
            SIGTERM/SIGINT (no SIGUSR1 statistics).
            """)
    var serviceLifecycle = false

    func validate() throws {
        if options.server == .nio, serviceLifecycle {
            throw ValidationError("--service-lifecycle applies to --server torus only")
        }
        if serviceLifecycle, options.loops != 1 {
            throw ValidationError("--loops: --service-lifecycle runs on one loop")
        }
    }

    func run() async throws {
        if serviceLifecycle { return try await serveInServiceGroup() }
        try await options.serve("http") { port, server, backend, loops in
            switch server {
            case .torus:
                try await TorusServer(
                    port: port, backend: backend, loops: loops, serving: .listener(Self.serveWithHTTPServer))
            case .nio:
                try await NIOServer(port: port, threads: loops.count, initializer: NIOPlaintextHandler.configure)
            }
        }
    }

    /// `--service-lifecycle`: binds, then runs a `ServiceGroup` of the `HTTPServerService`
    /// and a service that prints the port. The group starts its services once its signal
    /// handling is set up, so a parent may send SIGTERM as soon as it reads the port.
    private func serveInServiceGroup() async throws {
        var configuration = EventLoop.Configuration()
        configuration.backend = options.backend ?? .automatic
        let port = options.port
        try await withEventLoop(configuration: configuration) { loop in
            let listener = try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: port)!)
            let server = Self.plaintextServer(listener)
            var logger = Logger(label: "torus-bench")
            logger.logLevel = .warning
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [
                        .init(service: HTTPServerService(server)),
                        .init(
                            service: PortAnnouncement(port: listener.localAddress.port),
                            successTerminationBehavior: .ignore),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            try await group.run()
        }
    }

    /// Prints `listening <port>` and ends (which the group ignores).
    private struct PortAnnouncement: Service {
        let port: Int

        func run() async throws {
            StandardOutput.write("listening \(port)\n", onClosed: ServeOptions.stdoutClosed)
        }
    }

    /// Serves `listener` with ``plaintextServer(_:)`` until the listener closes.
    @Sendable private static func serveWithHTTPServer(_ listener: TCPListener) async throws {
        try await plaintextServer(listener).serve()
    }

    /// TorusHTTP's `HTTPServer` on `listener`, every request answered `200 text/plain`
    /// with ``plaintextBody``.
    private static func plaintextServer(_ listener: TCPListener) -> HTTPServer {
        HTTPServer(listener: listener) { _, _ in plaintextResponse }
    }

    /// The one response, built once (as a handler answering a constant would).
    private static let plaintextResponse = HTTPServerResponse(contentType: "text/plain", text: plaintextBody)
}
