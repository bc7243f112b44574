import ArgumentParser
import Foundation
import Synchronization
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
///
/// Each SIGUSR1 makes it print `statistics syscalls=S mallocs=M`: the loop's system calls
/// so far, and the heap allocations the whole process made since the previous SIGUSR1
/// (0 for the first). A benchmark parent signals at both ends of its measured window and
/// subtracts.
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
        let mallocs = AllocationWindow()
        let signals = try SignalWaiter([SIGINT, SIGTERM, SIGUSR1]) { if $0 == SIGUSR1 { mallocs.close() } }
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
        for await signal in signals.signals {
            guard signal == SIGUSR1 else { break }
            // The window closed on the signal thread; the hop to the loop is not counted.
            let calls = await loop.statistics.systemCalls
            FileHandle.standardOutput.write(Data("statistics syscalls=\(calls) mallocs=\(mallocs.closed)\n".utf8))
            mallocs.open()
        }
        try await listener.close()
        _ = await serving.result
        await loop.shutdown()
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
