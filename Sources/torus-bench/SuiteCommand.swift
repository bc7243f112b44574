import ArgumentParser
import Foundation

/// `torus-bench` with no subcommand: every scenario in turn with compact settings
/// (``SuiteScenario``), each printing its tables as its subcommand does; `--quick` is a
/// smoke run of everything in under a minute (CI), `--report DIR` charts them all.
struct SuiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Every scenario in a few minutes (the default): echo, http, file, timers, connections, nop."
    )

    @Flag(help: "A smoke run of every scenario in under a minute: tiny durations, one run, small counts.")
    var quick = false

    @Option(
        name: .customLong("scenario"),
        help: "Run only this scenario (repeat the option for several; default: all, in the order listed).")
    var scenarios: [SuiteScenario] = SuiteScenario.allCases

    @OptionGroup var files: SuiteFiles

    @OptionGroup var charts: ChartOptions

    func run() async throws {
        let progress = try ProgressLine.start()
        defer { progress?.stop() }
        let chosen = SuiteScenario.allCases.filter(scenarios.contains)
        // The quick suite's small test file lives in a directory of its own, removed after.
        let directory = quick ? try Directory.makeTemporary("/var/tmp/torus-bench-suite.XXXXXX") : nil
        defer { if let directory { try? FileManager.default.removeItem(atPath: directory) } }
        let bars = SuiteBars()
        var failures: [String] = []
        var took: [String] = []
        var runNames: [String] = []
        let start = ContinuousClock.now
        for (index, scenario) in chosen.enumerated() {
            let scenarioStart = ContinuousClock.now
            progress?.begin(
                "\(scenario.rawValue) (\(index + 1)/\(chosen.count))", seconds: scenario.expectedSeconds(quick: quick),
                secondsAfter: chosen[(index + 1)...].map { $0.expectedSeconds(quick: quick) }.reduce(0, +))
            print("\n## \(scenario.rawValue)\n")
            do {
                let runs = scenario.runs(quick: quick, directory: directory ?? "")
                for (index, (command, arguments)) in runs.enumerated() {
                    let name = SuiteFiles.runName(scenario, index: index, count: runs.count)
                    runNames.append(name)
                    var parsed = try command.parse(arguments + files.arguments(forRun: name))
                    try await SuiteBars.$current.withValue(bars) { try await parsed.run() }
                }
            } catch {
                print("\(scenario.rawValue) failed: \(Self.message(for: error))\n")
                failures.append(scenario.rawValue)
            }
            try charts.write(bars.all, heading: quick ? "torus-bench --quick" : "torus-bench")
            try files.gatherJSON(runs: runNames)
            took.append("\(scenario.rawValue) \(Self.minutes(since: scenarioStart))")
        }
        print(
            "\nsuite: \(chosen.count) scenario\(chosen.count == 1 ? "" : "s") in \(Self.minutes(since: start)) (\(took.joined(separator: ", ")))"
        )
        files.removeRunJSON(runs: runNames)
        if let directory = charts.directory { print("charts: \(directory)/index.html") }
        if !failures.isEmpty { throw SuiteFailure(scenarios: failures) }
    }

    /// The time since `start` as minutes and seconds (`1m05s`).
    private static func minutes(since start: ContinuousClock.Instant) -> String {
        let seconds = Int(((ContinuousClock.now - start) / .seconds(1)).rounded())
        return "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s"
    }

}

/// Why the suite exits non-zero: the scenarios that failed (each said why when it did).
struct SuiteFailure: Error, CustomStringConvertible {
    var scenarios: [String]

    var description: String { "failed: \(scenarios.joined(separator: ", "))" }
}
