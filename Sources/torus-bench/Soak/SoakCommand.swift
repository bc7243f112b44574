import ArgumentParser
import Foundation
import Torus
import TorusCommandLine
import TorusTestSupport

/// `torus-bench soak`: the servers under connection churn for minutes, to show that
/// nothing leaks and nothing breaks. On each reactor it starts the echo server (with a
/// handler, and with a task per connection) and TorusHTTP's `HTTPServer`, each in a child
/// process, all at once; drives each with `--connections` churning clients
/// (``ChurningClient``: connect, 1-16 exchanges checked byte for byte, close; 1% reset
/// mid-exchange) and ``StalledClient/perServer`` clients that never read, all on one
/// Torus io_uring loop; and prints a line per server per interval: exchanges,
/// connections, resets, unexpected errors, RSS, descriptors, p99 latency. The verdict
/// (``SoakVerdict``) exits non-zero, naming what failed.
struct SoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Echo and HTTP servers under connection churn: errors, RSS, descriptors, p99 per minute."
    )

    @Option(help: "How long the load runs, in minutes (more than 0, at most 1440; fractions allowed).")
    var minutes = 10.0

    @Option(help: "Churning clients per server (1...10000).")
    var connections = 512

    @Option(help: "Reactors: io_uring, epoll or both (their servers all run at once).")
    var backend: BackendSelection = .both

    @Option(help: "Seconds per report line (1...3600, at most the soak's length).")
    var interval = 60.0

    @Option(help: "How far RSS and descriptors may move from the first interval's, in percent (0...100).")
    var tolerance = 2.0

    /// What stderr says, once, when the reader of stdout has gone.
    private static let stdoutClosed = "torus-bench soak: stdout closed; report lines no longer printed"
    /// The longest soak: a day.
    private static let maximumMinutes = 1440.0
    /// Descriptors the client process keeps free beside its connections.
    private static let spareDescriptors = 64
    /// How long the servers get to close their side once every client has closed.
    private static let closeTimeout = Duration.seconds(10)

    func validate() throws {
        guard minutes.isFinite, minutes > 0, minutes <= Self.maximumMinutes else {
            throw ValidationError(
                "--minutes must be a finite number of minutes, more than 0 and at most \(Int(Self.maximumMinutes)),"
                    + " got \(minutes)")
        }
        try OptionCheck.integer(connections, "--connections", in: 1...10_000)
        try OptionCheck.seconds(interval, "--interval")
        guard interval >= 1, interval <= 3600, interval <= minutes * 60 else {
            throw ValidationError(
                "--interval must be 1...3600 seconds and at most the soak's \(minutes * 60) s, got \(interval)")
        }
        guard tolerance.isFinite, (0...100).contains(tolerance) else {
            throw ValidationError("--tolerance must be a percentage in 0...100, got \(tolerance)")
        }
    }

    func run() async throws {
        let targets = backend.backends.flatMap(SoakTarget.all)
        let clientsPerServer = connections + StalledClient.perServer
        let limit = ResourceLimits.raiseOpenFiles()
        let needed = targets.count * clientsPerServer + Self.spareDescriptors
        guard needed <= limit else {
            throw ValidationError(
                "RLIMIT_NOFILE \(limit) is too low for \(targets.count) servers of \(clientsPerServer) clients each"
                    + " (\(needed) descriptors with \(Self.spareDescriptors) spare)")
        }
        var configuration = EventLoop.Configuration()
        configuration.threadName = "torus-client"
        configuration.backend = .ioUring
        let client = try EventLoop(configuration: configuration)
        var servers: [SoakedServer] = []
        do {
            for target in targets { servers.append(try SoakedServer(target, connections: clientsPerServer)) }
        } catch {
            for server in servers { try? server.process.stop() }
            await client.shutdown()
            throw error
        }
        print(
            "soak: \(servers.map(\.name).joined(separator: ", ")) at once, \(Self.format(minutes)) minutes;"
                + " each: \(connections) churning clients (1-\(ChurningClient.maximumExchanges) exchanges a"
                + " connection, \(ChurningClient.resetPercent)% reset mid-exchange) and \(StalledClient.perServer)"
                + " that never read; client: one Torus io_uring loop")
        print(
            "a line per server every \(Self.format(interval)) s: its clients' exchanges, connections, resets made on"
                + " purpose, stalled clients pushed back, unexpected errors and p99 latency; the server's VmRSS at"
                + " the interval's end and its open descriptors (the median of counts about once a second). The"
                + " verdict holds the later intervals' RSS and descriptors to the first's")
        StandardOutput.flushPrinted(onClosed: Self.stdoutClosed)
        let start = ContinuousClock.now
        let deadline = start + .seconds(minutes * 60)
        let load = Task(executorPreference: client) { [servers = servers.map(LoadPlan.init), connections] in
            await Self.runClients(servers, connections: connections, until: deadline)
        }
        try await report(servers, from: start, until: deadline)
        await load.value
        await client.shutdown()
        var failed: [String] = []
        for server in servers {
            let after = await server.socketsAfterLoad(timeout: Self.closeTimeout)
            var exit: (any Error)?
            do { try server.process.stop() } catch { exit = error }
            let verdict = SoakVerdict(
                server.intervals, tolerancePercent: tolerance, socketsBefore: server.socketsBefore,
                socketsAfter: after, exit: exit)
            print(verdict.line(server.name))
            if !verdict.failures.isEmpty { failed.append(server.name) }
        }
        guard failed.isEmpty else {
            print("soak: FAILED: \(failed.joined(separator: ", "))")
            throw ExitCode(1)
        }
        print("soak: passed")
    }

    /// What the client loop needs of one server: where it listens, how its clients
    /// talk, and where they count.
    private struct LoadPlan: Sendable {
        var address: SocketAddress
        var makeSession: @Sendable (UInt64) -> any SoakSession
        var tally: SoakTally

        init(_ server: SoakedServer) {
            address = server.process.address
            makeSession = server.target.makeSession
            tally = server.tally
        }
    }

    /// Runs every server's churning and stalled clients on the current loop until
    /// `deadline`; each client's seed is its server's index and its own.
    private static func runClients(_ servers: [LoadPlan], connections: Int, until deadline: ContinuousClock.Instant)
        async
    {
        await withDiscardingTaskGroup { group in
            for (serverIndex, server) in servers.enumerated() {
                for clientIndex in 0..<connections {
                    let seed = UInt64(serverIndex) << 32 | UInt64(clientIndex)
                    group.addTask {
                        await ChurningClient(
                            to: server.address, session: server.makeSession(seed), tally: server.tally,
                            until: deadline, seed: ~seed
                        ).run()
                    }
                }
                for stalledIndex in 0..<StalledClient.perServer {
                    let seed = UInt64(serverIndex) << 32 | UInt64(connections + stalledIndex)
                    group.addTask {
                        await StalledClient(
                            to: server.address, session: server.makeSession(seed), tally: server.tally,
                            until: deadline
                        ).run()
                    }
                }
            }
        }
    }

    /// Counts every server's descriptors about once a second (ten times an interval when
    /// intervals are shorter) and prints each server's line at the end of every
    /// interval, until `deadline`.
    private func report(
        _ servers: [SoakedServer], from start: ContinuousClock.Instant, until deadline: ContinuousClock.Instant
    ) async throws {
        let samplePeriod = Duration.seconds(min(1, interval / 10))
        var intervalEnd = start
        while intervalEnd < deadline {
            intervalEnd = min(intervalEnd + .seconds(interval), deadline)
            repeat {
                for server in servers { server.sampleDescriptors() }
                try await Task.sleep(until: min(ContinuousClock.now + samplePeriod, intervalEnd), clock: .continuous)
            } while ContinuousClock.now < intervalEnd
            let elapsed = (intervalEnd - start) / .seconds(1)
            for server in servers { print(server.closeInterval(at: elapsed).line(server.name)) }
            StandardOutput.flushPrinted(onClosed: Self.stdoutClosed)
        }
    }

    /// `value` without a needless `.0`.
    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
