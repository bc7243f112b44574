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

    @Option(help: "Event loops (threads) serving, 1...256: an EventLoopGroup for Torus, SwiftNIO's group size.")
    var loops = 1

    @Option(
        help:
            "How Torus spreads connections over the loops: reuseport (a listener per loop; default) or handoff (one acceptor)."
    )
    var sharding: ShardedListener.Sharding?

    @Flag(help: "Pin Torus loop i to the i-th CPU the process may run on.")
    var pinLoops = false

    func validate() throws {
        try OptionCheck.integer(port, "--port", in: 0...65535)
        try OptionCheck.integer(loops, "--loops", in: 1...256)
        if server == .nio, backend != nil { throw ValidationError("--backend applies to --server torus only") }
        if server == .nio, sharding != nil { throw ValidationError("--sharding applies to --server torus only") }
        if server == .nio, pinLoops { throw ValidationError("--pin-loops applies to --server torus only") }
    }

    /// The loops the server runs on, as the options say.
    var group: ServerLoops {
        ServerLoops(count: loops, sharding: sharding ?? .reusePort, pinned: pinLoops)
    }

    /// What stderr says, once, when the reader of stdout has gone.
    static let stdoutClosed = "torus-bench serve: stdout closed; statistics no longer printed"

    /// Starts the server `start` makes (from the port, implementation, reactor and
    /// loops) and runs it until SIGINT or SIGTERM; `scenario` names it in the log line.
    /// The signals are read by a loop of their own (``Torus/Signals``), whatever serves.
    func serve(
        _ scenario: String,
        start: (Int, Server, Backend, ServerLoops) async throws -> any RunningServer
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
        start: (Int, Server, Backend, ServerLoops) async throws -> any RunningServer
    ) async throws {
        // Before anything is printed: a parent may signal as soon as it reads the port.
        let signals = try await Signals([.interrupt, .terminate, .user1], on: signalLoop)
        let mallocs = AllocationWindow()
        let limit = ResourceLimits.raiseOpenFiles()
        let running = try await start(port, server, backend ?? .automatic, group)
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

/// The event loops a server under test runs on (`serve --loops --sharding --pin-loops`).
struct ServerLoops: Sendable {
    /// How many loops (threads): 1 is one loop, as before groups.
    var count = 1
    /// How a Torus server spreads connections over its loops.
    var sharding = ShardedListener.Sharding.reusePort
    /// Whether each Torus loop is pinned to a CPU of its own
    /// (``EventLoopGroup/Configuration/pinsLoopsToCPUs``).
    var pinned = false

    /// How the log line describes them after the implementation: nothing for one
    /// unpinned loop, else `, 2 loops` with Torus's `sharding` (`reuseport`) when given.
    func description(sharding: ShardedListener.Sharding?) -> String {
        guard count > 1 || pinned else { return "" }
        let loops = ", \(count) loop\(count == 1 ? "" : "s")"
        return loops + (sharding.map { " \($0.rawValue)" } ?? "") + (pinned ? " pinned" : "")
    }
}

/// `--sharding reuseport|handoff`.
extension ShardedListener.Sharding: ExpressibleByArgument {}
