import ArgumentParser
import Dispatch
import Foundation
import Torus

/// `torus-bench serve`: runs a server under test until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a benchmark scenario on 127.0.0.1 until SIGINT/SIGTERM.",
        subcommands: [ServeEchoCommand.self]
    )
}

/// `torus-bench serve echo --port P`: the Torus echo server, as a process of its own.
struct ServeEchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "TCP echo on 127.0.0.1; prints `listening <port>` when ready."
    )

    @Option(help: "Port to listen on (0: any free port).")
    var port = 0

    @Option(help: "Reactor: io_uring, epoll or automatic.")
    var backend: Backend = .automatic

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
    }

    func run() async throws {
        // Before anything is printed: a parent may signal as soon as it reads the port.
        let signals = SignalWaiter([SIGINT, SIGTERM])
        let limit = ResourceLimits.raiseOpenFiles()
        var configuration = EventLoop.Configuration()
        configuration.backend = backend
        let loop = try EventLoop(configuration: configuration)
        let listener = try await loop.run {
            try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: port)!)
        }
        FileHandle.standardOutput.write(Data("listening \(listener.localAddress.port)\n".utf8))
        FileHandle.standardError.write(
            Data("torus-bench serve echo: \(loop.backend), RLIMIT_NOFILE soft limit \(limit)\n".utf8))
        let serving = Task(executorPreference: loop) { try await EchoServer.serve(listener) }
        await signals.wait()
        try await listener.close()
        _ = await serving.result
        await loop.shutdown()
    }
}

/// Turns SIGINT/SIGTERM into an awaitable event (the default action would kill the
/// process without a clean shutdown).
final class SignalWaiter {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Void>

    init(_ signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        self.stream = stream
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
    }

    func wait() async {
        for await _ in stream { return }
    }
}
