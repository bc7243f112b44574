import ArgumentParser
import Torus
import TorusHTTP

/// `torus-bench serve http --port P`: the HTTP/1.1 plaintext server under test (`GET`
/// answered with `Hello, World!`, keep-alive): Torus or SwiftNIO (NIOHTTP1). Torus serves
/// with the benchmark's lean ``TorusPlaintext``, or with TorusHTTP's `HTTPServer`, the
/// server users get (`--torus-server torushttp`: what `torus-bench soak` runs).
struct ServeHTTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "HTTP/1.1 plaintext on 127.0.0.1; prints `listening <port>` when ready."
    )

    /// Which Torus HTTP server answers.
    enum TorusHTTPServer: String, ExpressibleByArgument, CaseIterable {
        /// ``TorusPlaintext``: written for the benchmark, allocation-free.
        case plaintext
        /// TorusHTTP's `HTTPServer` (NIO's codec), answering every request the same way.
        case torushttp
    }

    @OptionGroup var options: ServeOptions

    @Option(help: "Torus server: plaintext (the benchmark's lean one; default) or torushttp (TorusHTTP's HTTPServer).")
    var torusServer: TorusHTTPServer = .plaintext

    func validate() throws {
        if options.server == .nio, torusServer != .plaintext {
            throw ValidationError("--torus-server applies to --server torus only")
        }
    }

    func run() async throws {
        try await options.serve("http") { port, server, backend in
            switch (server, torusServer) {
            case (.torus, .plaintext):
                try await TorusServer(port: port, backend: backend, serving: .task(TorusPlaintext.serve))
            case (.torus, .torushttp):
                try await TorusServer(port: port, backend: backend, serving: .listener(Self.serveWithHTTPServer))
            case (.nio, _): try await NIOServer(port: port, initializer: NIOPlaintextHandler.configure)
            }
        }
    }

    /// Serves `listener` with TorusHTTP's `HTTPServer`, every request answered `200
    /// text/plain` with ``plaintextBody``, until the listener closes.
    @Sendable private static func serveWithHTTPServer(_ listener: TCPListener) async throws {
        try await HTTPServer(listener: listener) { _, _ in
            HTTPServerResponse(contentType: "text/plain", text: plaintextBody)
        }
        .serve()
    }
}
