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

    @OptionGroup var session: LoadOptions

    @OptionGroup var report: ReportOptions

    func validate() throws {
        try OptionCheck.integers(connections, "--connections", in: 1...100_000)
        try OptionCheck.integers(sizes, "--size", in: 1...65536)
        guard Set(connectionAPI).count == connectionAPI.count else {
            throw ValidationError("--connection-api names handler or task once each")
        }
    }

    func run() async throws {
        _ = try await measure(reporting: report.write)
    }

    func measure(reporting report: (EchoReport) throws -> Void) async throws -> EchoReport {
        let (client, pin) = try await session.startClient()
        var servers: [ServerDescription] = backend.backends.flatMap { backend in
            connectionAPI.map { ServerDescription.echo(.torus(backend), connectionAPI: $0) }
                + [.echo(Contender.torus(backend).reference)]
        }
        if nio { servers.append(.echo(.nio)) }
        var records = EchoReport()
        for connectionCount in connections {
            for size in sizes {
                let runs = try await session.interleaved.measure(servers) { server in
                    try await measure(server, connections: connectionCount, size: size, client: client, pin: pin)
                } describe: { server, result in
                    "\(server.name) \(connectionCount) connections \(size) B: \(result.summary)"
                }
                let rows = Array(zip(servers.map(\.name), runs))
                // Written after every scenario, so a long session keeps what it measured.
                records.add(connections: connectionCount, size: size, rows: rows)
                try report(records)
                print()
                print(
                    "echo: \(connectionCount) connections, \(size)-byte messages, \(session.duration) s x \(session.repeats)"
                        + " (median), client: one Torus io_uring loop")
                ResultTable.print(rows, rate: "round trips/s", unit: "rt", references: Self.references(of: servers))
                print()
            }
        }
        await client.shutdown()
        return records
    }

    /// The table's ratio columns: each server's C reference of the same design, and
    /// SwiftNIO.
    private static func references(of servers: [ServerDescription]) -> [ResultTable.Reference] {
        let referenceNames = Dictionary(
            uniqueKeysWithValues: servers.map { ($0.name, $0.contender?.reference.rawValue) })
        return [
            ("vs C same design", { referenceNames[$0] ?? nil }),
            ("vs NIO", { _ in Contender.nio.rawValue }),
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
