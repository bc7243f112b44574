import TorusTestSupport
import ArgumentParser
import TorusCommandLine
import Foundation
import Torus

/// The options every `torus-bench serve` scenario takes, and the life of the server
/// process they share: print the port, answer SIGUSR1 with statistics, stop on
/// SIGINT/SIGTERM.
///
/// Each SIGUSR1 makes the server print `statistics syscalls=S mallocs=M`: the loop's
/// system calls so far (Torus only; SwiftNIO does not count them), and the heap
/// allocations the whole process made since the previous SIGUSR1 (0 for the first). A
/// benchmark parent signals at both ends of its measured window and subtracts.
struct ServeOptions: ParsableArguments {
    /// Which implementation serves.
    enum Server: String, ExpressibleByArgument, CaseIterable {
        case torus
        case nio
    }

    @Option(help: "Port to listen on, 0...65535 (0: any free port).")
    var port = 0

    @Option(help: "Implementation: torus or nio (SwiftNIO, one event loop thread).")
    var server: Server = .torus

    @Option(help: "Torus reactor: io_uring, epoll or automatic (default).")
    var backend: Backend?

    func validate() throws {
        try OptionCheck.integer(port, "--port", in: 0...65535)
        if server == .nio, backend != nil { throw ValidationError("--backend applies to --server torus only") }
    }

    /// What stderr says, once, when the reader of stdout has gone.
    static let stdoutClosed = "torus-bench serve: stdout closed; statistics no longer printed"

    /// Starts the server `start` makes (from the port, implementation and reactor) and
    /// runs it until SIGINT or SIGTERM; `scenario` names it in the log line. The signals
    /// are read by a loop of their own (``Torus/Signals``), whatever serves.
    func serve(
        _ scenario: String,
        start: (Int, Server, Backend) async throws -> any RunningServer
    ) async throws {
        var configuration = EventLoop.Configuration()
        configuration.threadName = "torus-signals"
        configuration.backend = backend ?? .automatic
        configuration.submissionQueueEntries = 8
        configuration.completionQueueEntries = 16
        let signalLoop = try EventLoop(configuration: configuration)
        do {
            try await serve(scenario, signalsOn: signalLoop, start: start)
        } catch {
            await signalLoop.shutdown()
            throw error
        }
        await signalLoop.shutdown()
    }

    private func serve(
        _ scenario: String, signalsOn signalLoop: EventLoop,
        start: (Int, Server, Backend) async throws -> any RunningServer
    ) async throws {
        // Before anything is printed: a parent may signal as soon as it reads the port.
        let signals = try await Signals([.interrupt, .terminate, .user1], on: signalLoop)
        let mallocs = AllocationWindow()
        let limit = ResourceLimits.raiseOpenFiles()
        let running = try await start(port, server, backend ?? .automatic)
        StandardOutput.write("listening \(running.port)\n", onClosed: Self.stdoutClosed)
        FileHandle.standardError.write(
            Data("torus-bench serve \(scenario): \(running.description), RLIMIT_NOFILE soft limit \(limit)\n".utf8))
        // Pinned to the signal loop: the window closes as the loop reads SIGUSR1.
        try await signalLoop.run {
            for await signal in signals {
                guard signal == .user1 else { return }
                mallocs.close()
                let calls = await running.systemCalls().map { " syscalls=\($0)" } ?? ""
                StandardOutput.write("statistics\(calls) mallocs=\(mallocs.closed)\n", onClosed: Self.stdoutClosed)
                mallocs.open()
            }
        }
        // Still watched while the server stops: a second SIGTERM does not kill it.
        try await running.stop()
        await signals.close()
    }
}
