import ArgumentParser

/// A scenario of the suite (`torus-bench` with no subcommand): which subcommand runs it,
/// with the compact settings of a full suite (a few minutes in all on two cores) or of
/// `--quick` (a smoke run of under a minute), and how long that is expected to take.
enum SuiteScenario: String, CaseIterable, ExpressibleByArgument {
    case echo
    case http
    case file
    case timers
    case connections
    case nop

    /// The subcommand runs that make up the scenario: each its subcommand and arguments.
    /// `directory`: where the quick suite keeps its small test file (the full suite uses
    /// the file scenario's own, 1 GiB in /var/tmp).
    func runs(quick: Bool, directory: String) -> [(command: any AsyncParsableCommand.Type, arguments: [String])] {
        let load = quick ? ["--duration", "0.2", "--warmup", "0.1"] : ["--duration", "1.5", "--warmup", "0.5"]
        let repeats = ["--repeats", String(Self.repeats(quick: quick))]
        switch self {
        case .echo:
            return [
                (EchoCommand.self, ["--connections", "64", "--connections", "512", "--size", "64"] + load + repeats),
                (EchoCommand.self, ["--connections", "64", "--size", "4096"] + load + repeats),
            ]
        case .http:
            let duration = quick ? load : ["--duration", "1", "--warmup", "0.5"]
            return [(HTTPCommand.self, ["--connections", "64", "--connections", "512"] + duration + repeats)]
        case .file:
            let file =
                quick ? ["--directory", directory, "--file-size", "16M", "--duration", "0.2"] : ["--duration", "1"]
            return [(FileCommand.self, ["--depth", "32", "--direct", "both"] + file + repeats)]
        case .timers:
            return [(TimersCommand.self, (quick ? ["--count", "1000", "--max-ms", "50"] : []) + repeats)]
        case .connections:
            return [(ConnectionsCommand.self, quick ? ["--count", "200"] : [])]
        case .nop:
            return [(NopCommand.self, quick ? ["--operations", "20000"] : [])]
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
        }
    }
}
