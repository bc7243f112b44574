import ArgumentParser
import Foundation
import Synchronization
import Torus

/// `torus-bench serve`: runs a server under test until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a benchmark scenario on 127.0.0.1 until SIGINT/SIGTERM.",
        subcommands: [ServeEchoCommand.self, ServeFileReaderCommand.self, ServeTimersCommand.self]
    )
}

/// `torus-bench serve echo --port P`: an echo server under test, as a process of its own:
/// Torus (`--backend` picks the reactor) or SwiftNIO (`--server nio`).
///
/// Each SIGUSR1 makes it print `statistics syscalls=S mallocs=M`: the loop's system calls
/// so far (Torus only; SwiftNIO does not count them), and the heap allocations the whole
/// process made since the previous SIGUSR1 (0 for the first). A benchmark parent signals
/// at both ends of its measured window and subtracts.
struct ServeEchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "TCP echo on 127.0.0.1; prints `listening <port>` when ready."
    )

    /// Which implementation serves.
    enum Server: String, ExpressibleByArgument, CaseIterable {
        case torus
        case nio
    }

    @Option(help: "Port to listen on (0: any free port).")
    var port = 0

    @Option(help: "Implementation: torus or nio (SwiftNIO, one event loop thread).")
    var server: Server = .torus

    @Option(help: "Torus reactor: io_uring, epoll or automatic (default).")
    var backend: Backend?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        if server == .nio, backend != nil { throw ValidationError("--backend applies to --server torus only") }
    }

    func run() async throws {
        // Before anything is printed: a parent may signal as soon as it reads the port.
        let mallocs = AllocationWindow()
        let signals = try SignalWaiter([SIGINT, SIGTERM, SIGUSR1]) { if $0 == SIGUSR1 { mallocs.close() } }
        let limit = ResourceLimits.raiseOpenFiles()
        let running: any RunningEchoServer =
            switch server {
            case .torus: try await TorusEchoServer(port: port, backend: backend ?? .automatic)
            case .nio: try await NIOEchoServer(port: port)
            }
        FileHandle.standardOutput.write(Data("listening \(running.port)\n".utf8))
        FileHandle.standardError.write(
            Data("torus-bench serve echo: \(running.description), RLIMIT_NOFILE soft limit \(limit)\n".utf8))
        for await signal in signals.signals {
            guard signal == SIGUSR1 else { break }
            // The window closed on the signal thread; the hop to the loop is not counted.
            let calls = await running.systemCalls().map { " syscalls=\($0)" } ?? ""
            FileHandle.standardOutput.write(Data("statistics\(calls) mallocs=\(mallocs.closed)\n".utf8))
            mallocs.open()
        }
        try await running.stop()
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
