import ArgumentParser
import TorusTestSupport

/// `torus-bench serve echo --port P`: an echo server under test, as a process of its own:
/// Torus (`--backend` picks the reactor) or SwiftNIO (`--server nio`).
struct ServeEchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "TCP echo on 127.0.0.1; prints `listening <port>` when ready."
    )

    @OptionGroup var options: ServeOptions

    @Option(help: "Torus connections: handler (callbacks, no task; default) or task (one task each).")
    var connectionAPI: ConnectionAPI = .handler

    func validate() throws {
        if options.server == .nio, connectionAPI != .handler {
            throw ValidationError("--connection-api applies to --server torus only")
        }
    }

    func run() async throws {
        try await options.serve("echo") { port, server, backend, loops in
            switch server {
            case .torus:
                try await TorusServer(
                    port: port, backend: backend, loops: loops,
                    serving: connectionAPI == .handler ? .handler { EchoHandler { _ in } } : .task(TorusEcho.serve))
            case .nio:
                try await NIOServer(port: port, threads: loops.count) {
                    try $0.pipeline.syncOperations.addHandler(NIOEchoHandler())
                }
            }
        }
    }
}
