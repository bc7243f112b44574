import ArgumentParser
import Foundation
import Torus

/// `torus-bench echo`: ping-pong echo over loopback against the Torus servers, the C
/// reference server of each design and SwiftNIO, interleaved, with server CPU per round
/// trip.
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Echo round trips/s and server CPU per round trip: Torus vs C vs SwiftNIO, io_uring and epoll."
    )

    @Option(help: "Reactors to measure: io_uring, epoll or both.")
    var backend: BackendSelection = .both

    @Flag(inversion: .prefixedNo, help: "Measure the SwiftNIO echo server too.")
    var nio = true

    @Option(help: "Concurrent client connections (repeat the option for several; default: 1, 64 and 512).")
    var connections: [Int] = [1, 64, 512]

    @Option(
        name: .customLong("size"),
        help: "Message size in bytes (repeat the option for several; default: 64 and 4096).")
    var sizes: [Int] = [64, 4096]

    @OptionGroup var session: LoadOptions

    @OptionGroup var report: ReportOptions

    func validate() throws {
        guard !connections.isEmpty, connections.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--connections must be positive")
        }
        guard !sizes.isEmpty, sizes.allSatisfy({ (1...65536).contains($0) }) else {
            throw ValidationError("--size must be in 1...65536")
        }
    }

    func run() async throws {
        let (client, pin) = try await session.startClient()
        var records = EchoReport()
        for connectionCount in connections {
            for size in sizes {
                let rows = try await measureScenario(connections: connectionCount, size: size, client: client, pin: pin)
                    .map { (server: $0.server.rawValue, runs: $0.runs) }
                // Written after every scenario, so a long session keeps what it measured.
                records.add(scenario: "echo", connections: connectionCount, size: size, rows: rows)
                try report.write(records)
                print()
                print(
                    "echo: \(connectionCount) connections, \(size)-byte messages, \(session.duration) s x \(session.repeats)"
                        + " (median), client: one Torus io_uring loop")
                ResultTable.print(rows, rate: "round trips/s", unit: "rt", references: Self.references)
                print()
            }
        }
        await client.shutdown()
    }

    /// The table's ratio columns: each server's C reference of the same design, and
    /// SwiftNIO.
    private static let references: [ResultTable.Reference] = [
        ("vs C same design", { Contender(rawValue: $0)?.reference.rawValue }),
        ("vs NIO", { _ in Contender.nio.rawValue }),
    ]

    /// Runs every server `--repeats` times, interleaved, on one (connections, size) pair.
    private func measureScenario(connections: Int, size: Int, client: EventLoop, pin: Bool) async throws -> [(
        server: Contender, runs: [EchoResult]
    )] {
        var rows: [(server: Contender, runs: [EchoResult])] = []
        for backend in backend.backends {
            rows.append((.torus(backend), []))
            rows.append((Contender.torus(backend).reference, []))
        }
        if nio { rows.append((.nio, [])) }
        for round in 1...session.repeats {
            for index in rows.indices {
                let server = try ServerUnderTest(rows[index].server, pinned: pin)
                let result = try await measure(server, connections: connections, size: size, client: client)
                try server.stop()
                rows[index].runs.append(result)
                print(
                    "round \(round) \(rows[index].server.rawValue) \(connections) connections \(size) B: "
                        + result.summary)
            }
        }
        return rows
    }

    /// One run: connects `size`-byte echo clients and measures them (``measureRun``).
    private func measure(_ server: ServerUnderTest, connections: Int, size: Int, client: EventLoop) async throws
        -> EchoResult
    {
        let load = try await LoadGenerator(to: server.address, connections: connections, on: client) {
            EchoSession(size: size)
        }
        return await measureRun(server, load: load, warmup: session.warmup, duration: session.duration)
    }
}

/// Blocks the calling thread. The measured window uses this rather than `Task.sleep`,
/// whose timer allocates and would be counted against the servers.
func pauseThread(seconds: Double) {
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
