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
    /// runs it until SIGINT or SIGTERM; `scenario` names it in the log line.
    func serve(
        _ scenario: String,
        start: (Int, Server, Backend) async throws -> any RunningServer
    ) async throws {
        // Before anything is printed: a parent may signal as soon as it reads the port.
        let mallocs = AllocationWindow()
        let signals = try SignalWaiter([SIGINT, SIGTERM, SIGUSR1]) { if $0 == SIGUSR1 { mallocs.close() } }
        let limit = ResourceLimits.raiseOpenFiles()
        let running = try await start(port, server, backend ?? .automatic)
        StandardOutput.write("listening \(running.port)\n", onClosed: Self.stdoutClosed)
        FileHandle.standardError.write(
            Data("torus-bench serve \(scenario): \(running.description), RLIMIT_NOFILE soft limit \(limit)\n".utf8))
        for await signal in signals.signals {
            guard signal == SIGUSR1 else { break }
            // The window closed on the signal thread; the hop to the loop is not counted.
            let calls = await running.systemCalls().map { " syscalls=\($0)" } ?? ""
            StandardOutput.write("statistics\(calls) mallocs=\(mallocs.closed)\n", onClosed: Self.stdoutClosed)
            mallocs.open()
        }
        try await running.stop()
    }
}
