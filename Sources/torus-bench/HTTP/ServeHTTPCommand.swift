import ArgumentParser

/// `torus-bench serve http --port P`: the HTTP/1.1 plaintext server under test (`GET`
/// answered with `Hello, World!`, keep-alive): Torus or SwiftNIO (NIOHTTP1).
struct ServeHTTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "HTTP/1.1 plaintext on 127.0.0.1; prints `listening <port>` when ready."
    )

    @OptionGroup var options: ServeOptions

    func run() async throws {
        try await options.serve("http") { port, server, backend in
            switch server {
            case .torus: try await TorusServer(port: port, backend: backend, serving: .task(TorusPlaintext.serve))
            case .nio: try await NIOServer(port: port, initializer: NIOPlaintextHandler.configure)
            }
        }
    }
}
