import ArgumentParser
import Foundation
import Synchronization
import Torus

/// `torus-bench serve`: runs a server under test until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a benchmark scenario on 127.0.0.1 until SIGINT/SIGTERM.",
        subcommands: [
            ServeEchoCommand.self, ServeHTTPCommand.self, ServeFileReaderCommand.self, ServeTimersCommand.self,
        ]
    )
}

/// `torus-bench serve echo --port P`: an echo server under test, as a process of its own:
/// Torus (`--backend` picks the reactor) or SwiftNIO (`--server nio`).
struct ServeEchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "TCP echo on 127.0.0.1; prints `listening <port>` when ready."
    )

    @OptionGroup var options: ServeOptions

    @Option(help: "Torus connections: handler (callbacks, no task; default) or task (one task each).")
    var connectionAPI: EchoServer.ConnectionAPI = .handler

    func validate() throws {
        if options.server == .nio, connectionAPI != .handler {
            throw ValidationError("--connection-api applies to --server torus only")
        }
    }

    func run() async throws {
        try await options.serve("echo") { port, server, backend in
            switch server {
            case .torus:
                try await TorusServer(
                    port: port, backend: backend,
                    serving: connectionAPI == .handler ? .handler { TorusEcho.Handler() } : .task(TorusEcho.serve))
            case .nio: try await NIOServer(port: port) { try $0.pipeline.syncOperations.addHandler(EchoHandler()) }
            }
        }
    }
}

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

/// Counts heap allocations between two SIGUSR1s (``AllocationCounter``), with the count
/// of the last closed window kept for the report.
final class AllocationWindow: Sendable {
    private let isOpen = Atomic<Bool>(false)
    private let lastCount = Atomic<Int>(0)

    /// Allocations in the window closed last (0 before any window opened).
    var closed: Int { lastCount.load(ordering: .acquiring) }

    /// Starts counting from zero.
    func open() {
        isOpen.store(true, ordering: .releasing)
        AllocationCounter.start()
    }

    /// Stops counting and keeps the count; does nothing when no window is open.
    func close() {
        guard isOpen.exchange(false, ordering: .acquiringAndReleasing) else { return }
        lastCount.store(AllocationCounter.stop(), ordering: .releasing)
    }
}
