import ArgumentParser
import Foundation
import Torus

/// `torus-bench http`: HTTP/1.1 keep-alive plaintext (`Hello, World!`, the TechEmpower
/// plaintext test without pipelining) against the Torus servers and SwiftNIO
/// (NIOHTTP1), interleaved, with server CPU per request.
struct HTTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "HTTP plaintext requests/s and server CPU per request: Torus vs SwiftNIO, io_uring and epoll."
    )

    @Option(help: "Reactors to measure: io_uring, epoll or both.")
    var backend: BackendSelection = .both

    @Flag(inversion: .prefixedNo, help: "Measure the SwiftNIO (NIOHTTP1) server too.")
    var nio = true

    @Option(help: "Concurrent keep-alive connections (repeat the option for several; default: 64 and 512).")
    var connections: [Int] = [64, 512]

    @OptionGroup var session: LoadOptions

    @OptionGroup var report: ReportOptions

    func validate() throws {
        guard !connections.isEmpty, connections.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--connections must be positive")
        }
    }

    /// The servers measured, as the tables name them, with their `serve http` options.
    private var servers: [(name: String, options: [String])] {
        var servers = backend.backends.map { backend in
            (name: Contender.torus(backend).rawValue, options: ["--backend", backend.rawValue])
        }
        if nio { servers.append((name: Contender.nio.rawValue, options: ["--server", "nio"])) }
        return servers
    }

    func run() async throws {
        let (client, pin) = try await session.startClient()
        var records = EchoReport()
        for connectionCount in connections {
            let rows = try await measureScenario(connections: connectionCount, client: client, pin: pin)
            // Written after every scenario, so a long session keeps what it measured.
            records.add(scenario: "http", connections: connectionCount, size: plaintextBody.utf8.count, rows: rows)
            try report.write(records)
            print()
            print(
                "http: \(connectionCount) keep-alive connections, GET /plaintext, \(session.duration) s x \(session.repeats)"
                    + " (median), client: one Torus io_uring loop")
            ResultTable.print(
                rows, rate: "requests/s", unit: "req", references: [("vs NIO", { _ in Contender.nio.rawValue })])
            print()
        }
        await client.shutdown()
    }

    /// Runs every server `--repeats` times, interleaved, with `connections` clients.
    private func measureScenario(connections: Int, client: EventLoop, pin: Bool) async throws -> [(
        server: String, runs: [EchoResult]
    )] {
        let servers = servers
        var rows = servers.map { (server: $0.name, runs: [EchoResult]()) }
        for round in 1...session.repeats {
            for (index, server) in servers.enumerated() {
                let running = try ServerUnderTest(name: server.name, reportsStatistics: true, pinned: pin) {
                    try ChildProcess(product: "torus-bench", arguments: ["serve", "http", "--port", "0"] + server.options)
                }
                let load = try await LoadGenerator(to: running.address, connections: connections, on: client) {
                    HTTPSession()
                }
                let result = await measureRun(running, load: load, warmup: session.warmup, duration: session.duration)
                try running.stop()
                rows[index].runs.append(result)
                print("round \(round) \(server.name) \(connections) connections: \(result.summary)")
            }
        }
        return rows
    }
}
