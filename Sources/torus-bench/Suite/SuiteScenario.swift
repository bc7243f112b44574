import ArgumentParser

/// A scenario of the suite (`torus-bench` with no subcommand): which subcommand runs it
/// (a ``Scenario``), with the compact settings of a full suite (a few minutes in all on two cores) or of
/// `--quick` (a smoke run of under a minute), and how long that is expected to take.
enum SuiteScenario: String, CaseIterable, ExpressibleByArgument {
    case echo
    case http
    case file
    case timers
    case connections
    case nop
    case hop

    /// The runs that make up the scenario: each its subcommand with the suite's settings,
    /// set in code on the subcommand's defaults. `directory`: where the quick suite keeps
    /// its small test file (the full suite uses the file scenario's own, 1 GiB in
    /// /var/tmp).
    func runs(quick: Bool, directory: String) throws -> [any Scenario] {
        let repeats = Self.repeats(quick: quick)
        let load = quick ? (duration: 0.2, warmup: 0.1) : (duration: 1.5, warmup: 0.5)
        func session(duration: Double, warmup: Double) throws -> LoadOptions {
            var session = try LoadOptions.parse([])
            session.duration = duration
            session.warmup = warmup
            session.interleaved.repeats = repeats
            return session
        }
        switch self {
        case .echo:
            return try [(connections: [64, 512], size: 64), (connections: [64], size: 4096)].map { run in
                var echo = try EchoCommand.parse([])
                echo.connections = run.connections
                echo.sizes = [run.size]
                echo.session = try session(duration: load.duration, warmup: load.warmup)
                return echo
            }
        case .http:
            var http = try HTTPCommand.parse([])
            http.connections = [64, 512]
            http.session =
                try quick ? session(duration: load.duration, warmup: load.warmup) : session(duration: 1, warmup: 0.5)
            return [http]
        case .file:
            var file = try FileCommand.parse([])
            file.depths = [32]
            file.direct = .both
            file.duration = quick ? 0.2 : 1
            if quick {
                file.directory = directory
                file.fileSize = ByteSize(argument: "16M")!
            }
            file.interleaved.repeats = repeats
            return [file]
        case .timers:
            var timers = try TimersCommand.parse([])
            if quick {
                timers.count = 1000
                timers.maxMs = 50
            }
            timers.interleaved.repeats = repeats
            return [timers]
        case .connections:
            var connections = try ConnectionsCommand.parse([])
            if quick { connections.count = 200 }
            return [connections]
        case .nop:
            var nop = try NopCommand.parse([])
            if quick { nop.operations = 20000 }
            return [nop]
        case .hop:
            var hop = try HopCommand.parse([])
            hop.roundTrips = quick ? 5000 : 100_000
            hop.maxSeconds = quick ? 0.3 : 2
            hop.interleaved.repeats = repeats
            return [hop]
        }
    }

    /// Runs per contender the suite asks for (the scenarios that take `--repeats`).
    static func repeats(quick: Bool) -> Int { quick ? 1 : 3 }

    /// About how many seconds the scenario takes (for the progress line): its runs, each
    /// measured window with its warm-up, start and stop (as measured on a busy 2-core VM).
    func expectedSeconds(quick: Bool) -> Double {
        let repeats = Double(Self.repeats(quick: quick))
        switch self {
        case .echo: return 3 * 5 * repeats * (quick ? 0.4 : 2.1)
        case .http: return 2 * 4 * repeats * (quick ? 1.5 : 2.7)
        case .file: return 2 * 4 * repeats * (quick ? 0.4 : 1.2) + 1
        case .timers: return 3 * repeats * (quick ? 0.1 : 3)
        case .connections: return 5 * (quick ? 0.1 : 1.6)
        case .nop: return quick ? 0.5 : 10
        case .hop: return 5 * repeats * (quick ? 0.2 : 1.5)
        }
    }
}
