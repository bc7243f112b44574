import ArgumentParser
import TorusCommandLine
import Foundation
import Torus

/// `torus-bench echo`: ping-pong echo over loopback against the Torus servers, the C
/// reference server of each design and SwiftNIO, interleaved, with server CPU per round
/// trip.
struct EchoCommand: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Echo round trips/s and server CPU per round trip: Torus vs C vs SwiftNIO, io_uring and epoll."
    )

    @Option(help: "Reactors to measure: io_uring, epoll or both.")
    var backend: BackendSelection = .both

    @Flag(inversion: .prefixedNo, help: "Measure the SwiftNIO echo server too.")
    var nio = true

    @Option(help: "Concurrent client connections, 1...100000 (repeat the option for several; default: 1, 64 and 512).")
    var connections: [Int] = [1, 64, 512]

    @Option(
        name: .customLong("size"),
        help: "Message size in bytes, 1...65536 (repeat the option for several; default: 64 and 4096).")
    var sizes: [Int] = [64, 4096]

    @Option(
        help:
            "How the Torus servers run connections: handler (no task) or task (repeat the option for both; default: handler)."
    )
    var connectionAPI: [ConnectionAPI] = [.handler]

    @Option(
        help: ArgumentHelp(
            "Event loops (threads) of the Torus and SwiftNIO servers, 1...256 (repeat the option for several; default: 1);"
                + " the C servers run one thread."))
    var loops: [Int] = [1]

    @Option(
        help:
            "How Torus servers on several loops spread connections: reuseport or handoff (repeat the option for both; default: reuseport)."
    )
    var sharding: [ShardedListener.Sharding] = [.reusePort]

    @Flag(help: "Pin each loop of a Torus server to a CPU of its own, among those the server may use.")
    var pinLoops = false

    @OptionGroup var session: LoadOptions

    @OptionGroup var report: ReportOptions

    func validate() throws {
        try OptionCheck.integers(connections, "--connections", in: 1...100_000)
        try OptionCheck.integers(sizes, "--size", in: 1...65536)
        guard Set(connectionAPI).count == connectionAPI.count else {
            throw ValidationError("--connection-api names handler or task once each")
        }
        try OptionCheck.integers(loops, "--loops", in: 1...256)
        guard Set(loops).count == loops.count else { throw ValidationError("--loops names each count once") }
        guard !sharding.isEmpty, Set(sharding).count == sharding.count else {
            throw ValidationError("--sharding names reuseport or handoff once each")
        }
    }

    func run() async throws {
        _ = try await measure(reporting: report.write)
    }

    func measure(reporting report: (EchoReport) throws -> Void) async throws -> EchoReport {
        let (client, pin) = try await session.startClient()
        let servers = self.servers
        var records = EchoReport()
        for connectionCount in connections {
            for size in sizes {
                let runs = try await session.interleaved.measure(servers) { server in
                    try await measure(server, connections: connectionCount, size: size, client: client, pin: pin)
                } describe: { server, result in
                    "\(server.name) \(connectionCount) connections \(size) B: \(result.summary)"
                }
                // Written after every scenario, so a long session keeps what it measured.
                records.add(connections: connectionCount, size: size, rows: Array(zip(servers, runs)))
                try report(records)
                print()
                print(
                    "echo: \(connectionCount) connections, \(size)-byte messages, \(session.duration) s x \(session.repeats)"
                        + " (median), client: one Torus io_uring loop\(loops == [1] ? "" : "; C servers: one thread")")
                ResultTable.print(
                    Array(zip(servers.map(\.name), runs)), rate: "round trips/s", unit: "rt",
                    references: Self.references(of: servers), labels: loops == [1] ? [] : Self.labels(of: servers))
                print()
            }
        }
        await client.shutdown()
        return records
    }

    /// The servers to measure, in the order measured: at each loop count, every Torus
    /// server (each connection API, each sharding when on several loops) and its C
    /// reference (one thread, measured once), then SwiftNIO.
    private var servers: [ServerDescription] {
        var servers: [ServerDescription] = []
        for loopCount in loops {
            for backend in backend.backends {
                for api in connectionAPI {
                    let torus = ServerDescription.echo(.torus(backend), connectionAPI: api)
                    for sharding in loopCount == 1 ? [sharding[0]] : sharding {
                        servers.append(torus.on(loops: loopCount, sharding: sharding, pinned: pinLoops))
                    }
                }
                if loopCount == loops[0] { servers.append(.echo(Contender.torus(backend).reference)) }
            }
            if nio {
                servers.append(ServerDescription.echo(.nio).on(loops: loopCount, sharding: .reusePort, pinned: false))
            }
        }
        return servers
    }

    /// The table's ratio columns: each server's C reference of the same design, SwiftNIO
    /// (on as many threads as the server has loops), and (with several loop counts) the same server on one loop.
    private static func references(of servers: [ServerDescription]) -> [ResultTable.Reference] {
        let referenceNames = Dictionary(
            uniqueKeysWithValues: servers.map { ($0.name, $0.contender?.reference.rawValue) })
        let nioNames = Dictionary(
            uniqueKeysWithValues: servers.map {
                ($0.name, ServerDescription.echo(.nio).on(loops: $0.loops, sharding: .reusePort, pinned: false).name)
            })
        let oneLoopNames = Dictionary(
            uniqueKeysWithValues: servers.map { server in
                (server.name, servers.first { $0.loops == 1 && server.name.hasPrefix($0.name + " x") }?.name)
            })
        var references: [ResultTable.Reference] = [
            ("vs C same design", { referenceNames[$0] ?? nil }),
            ("vs NIO", { nioNames[$0] }),
        ]
        if servers.contains(where: { $0.loops > 1 }) { references.append(("vs 1 loop", { oneLoopNames[$0] ?? nil })) }
        return references
    }

    /// The table's `loops` and `sharding` columns.
    private static func labels(of servers: [ServerDescription]) -> [ResultTable.Label] {
        let byName = Dictionary(uniqueKeysWithValues: servers.map { ($0.name, $0) })
        return [
            ("loops", { name in byName[name].map { String($0.loops) } ?? "" }),
            ("sharding", { name in byName[name]?.sharding?.rawValue ?? "-" }),
        ]
    }

    /// One run: starts `server`, connects `size`-byte echo clients and measures them
    /// (``measureRun``).
    private func measure(_ server: ServerDescription, connections: Int, size: Int, client: EventLoop, pin: Bool)
        async throws -> LoadResult
    {
        try await ServerUnderTest(server, connections: connections, pinned: pin).running { running in
            let load = try await LoadGenerator(to: running.address, connections: connections, on: client) {
                EchoSession(size: size)
            }
            return await measureRun(running, load: load, warmup: session.warmup, duration: session.duration)
        }
    }
}

/// Blocks the calling thread. The measured window uses this rather than `Task.sleep`,
/// whose timer allocates and would be counted against the servers.
func pauseThread(seconds: Double) {
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
