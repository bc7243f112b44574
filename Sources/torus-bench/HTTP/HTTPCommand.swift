import ArgumentParser
import TorusCommandLine
import Foundation
import Torus

/// `torus-bench http`: HTTP/1.1 keep-alive plaintext (`Hello, World!`, the TechEmpower
/// plaintext test without pipelining) against the Torus servers, SwiftNIO (NIOHTTP1) and,
/// when installed, nginx, interleaved, with server CPU per request; driven by our client
/// and, when installed, by wrk too.
struct HTTPCommand: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract:
            "HTTP plaintext requests/s and server CPU per request: Torus vs SwiftNIO vs nginx, io_uring and epoll."
    )

    @Option(help: "Reactors to measure: io_uring, epoll or both.")
    var backend: BackendSelection = .both

    @Flag(inversion: .prefixedNo, help: "Measure the SwiftNIO (NIOHTTP1) server too.")
    var nio = true

    @Flag(inversion: .prefixedNo, help: "Measure nginx (one process) too, when it is installed.")
    var nginx = true

    @Flag(inversion: .prefixedNo, help: "Drive every server with wrk (-t1) too, when it is installed.")
    var wrk = true

    @Flag(help: "Print the nginx configuration the nginx runs use (port 8080, directory /tmp/nginx) and exit.")
    var printNginxConfig = false

    @Option(help: "Concurrent keep-alive connections, 1...100000 (repeat the option for several; default: 64 and 512).")
    var connections: [Int] = [64, 512]

    @OptionGroup var session: LoadOptions

    @OptionGroup var report: ReportOptions

    func validate() throws {
        try OptionCheck.integers(connections, "--connections", in: 1...100_000)
    }

    func run() async throws {
        if printNginxConfig {
            print(Nginx.configuration(port: 8080, directory: "/tmp/nginx", connections: connections[0]), terminator: "")
            return
        }
        _ = try await measure(reporting: report.write)
    }

    func measure(reporting report: (HTTPReport) throws -> Void) async throws -> HTTPReport {
        var servers = backend.backends.map {
            ServerDescription.served("http", .torus($0), options: ["--backend", $0.rawValue])
        }
        if nio { servers.append(.served("http", .nio, options: ["--server", "nio"])) }
        let nginxServer = try (nginx ? Nginx.executable : nil).map(Nginx.init(executable:))
        defer { nginxServer?.removeDirectory() }
        if let nginxServer { servers.append(nginxServer.server) }
        let wrkPath = wrk ? Wrk.executable : nil
        let skipped = [
            (nginx && nginxServer == nil, "nginx", "no nginx row"), (wrk && wrkPath == nil, "wrk", "no wrk table"),
        ]
        .filter(\.0)
        if !skipped.isEmpty {
            print(
                "\(skipped.map(\.1).joined(separator: " and ")) not installed: skipped"
                    + " (\(skipped.map(\.2).joined(separator: ", ")))")
        }

        let (client, pin) = try await session.startClient()
        var records = HTTPReport()
        for connectionCount in connections {
            let runs = try await session.interleaved.measure(servers) { server in
                try await measure(server, connections: connectionCount, wrk: wrkPath, client: client, pin: pin)
            } describe: { server, result in
                "\(server) \(connectionCount) connections: \(result.torus.summary)"
                    + (result.wrk.map { "; \($0.summary)" } ?? "")
            }
            let rows = zip(servers, runs).map { server, runs in
                (server: server.description, runs: runs.map(\.torus), wrkRuns: runs.compactMap(\.wrk))
            }
            for row in rows {
                records.add(row.runs, median: row.runs.median) {
                    HTTPRecord(server: row.server, connections: connectionCount, result: $0)
                }
            }
            for row in rows where !row.wrkRuns.isEmpty {
                records.add(row.wrkRuns, median: row.wrkRuns.median) {
                    HTTPRecord(server: row.server, connections: connectionCount, wrk: $0)
                }
            }
            // Written after every scenario, so a long session keeps what it measured.
            try report(records)
            print()
            print(
                "http: \(connectionCount) keep-alive connections, GET /plaintext, \(session.duration) s x \(session.repeats)"
                    + " (median), client: one Torus io_uring loop")
            var references: [ResultTable.Reference] = [("vs NIO", { _ in Contender.nio.rawValue })]
            if nginxServer != nil { references.append(("vs nginx", { _ in Nginx.name })) }
            ResultTable.print(
                rows.map { ($0.server, $0.runs) }, rate: "requests/s", unit: "req", references: references)
            if wrkPath != nil {
                print()
                print(
                    "http: the same servers, client: wrk -t1 -c\(connectionCount) -d\(wrkSeconds)s --latency"
                        + " (its latency distribution stops at 99 %)")
                WrkResult.printTable(rows.map { ($0.server, $0.wrkRuns) })
            }
            print()
        }
        await client.shutdown()
        return records
    }

    /// wrk's run length: `--duration` in whole seconds, as wrk takes it.
    private var wrkSeconds: Int { max(1, Int(session.duration.rounded(.up))) }

    /// One run of `server` with `connections` clients: our client (after `--warmup`), then
    /// wrk when it is installed, on the same warm server.
    private func measure(_ server: ServerDescription, connections: Int, wrk: String?, client: EventLoop, pin: Bool)
        async throws -> (torus: LoadResult, wrk: WrkResult?)
    {
        try await ServerUnderTest(server, connections: connections, pinned: pin).running { running in
            let load = try await LoadGenerator(to: running.address, connections: connections, on: client) {
                HTTPSession()
            }
            let result = await measureRun(running, load: load, warmup: session.warmup, duration: session.duration)
            let wrkResult = try wrk.map {
                try Wrk.run($0, against: running, connections: connections, seconds: wrkSeconds, pinned: pin)
            }
            return (result, wrkResult)
        }
    }
}
