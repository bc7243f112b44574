import TorusTestSupport
import ArgumentParser
import Foundation
import TorusBenchCharts

/// `torus-bench` with no subcommand: every scenario in turn with compact settings
/// (``SuiteScenario``), each printing its tables as its subcommand does; `--quick` is a
/// smoke run of everything in under a minute (CI), `--report DIR` charts them all.
struct SuiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Every scenario in a few minutes (the default): echo, http, file, timers, connections, nop, hop."
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
        var results = SuiteResults()
        var failures: [String] = []
        var took: [String] = []
        let start = ContinuousClock.now
        for (index, scenario) in chosen.enumerated() {
            let scenarioStart = ContinuousClock.now
            progress?.begin(
                "\(scenario.rawValue) (\(index + 1)/\(chosen.count))", seconds: scenario.expectedSeconds(quick: quick),
                secondsAfter: chosen[(index + 1)...].map { $0.expectedSeconds(quick: quick) }.reduce(0, +))
            print("\n## \(scenario.rawValue)\n")
            do {
                let runs = try scenario.runs(quick: quick, directory: directory ?? "")
                for (index, run) in runs.enumerated() {
                    let name = SuiteFiles.runName(scenario, index: index, count: runs.count)
                    try await measure(run, named: name, into: &results)
                }
            } catch {
                print("\(scenario.rawValue) failed: \(Self.message(for: error))\n")
                failures.append(scenario.rawValue)
            }
            try charts.write(results.bars, heading: quick ? "torus-bench --quick" : "torus-bench")
            try files.writeJSON(results.json)
            took.append("\(scenario.rawValue) \(Self.minutes(since: scenarioStart))")
        }
        print(
            "\nsuite: \(chosen.count) scenario\(chosen.count == 1 ? "" : "s") in \(Self.minutes(since: start)) (\(took.joined(separator: ", ")))"
        )
        if let directory = charts.directory { print("charts: \(directory)/index.html") }
        if !failures.isEmpty { throw SuiteFailure(scenarios: failures) }
    }

    /// Runs `scenario` as the run named `name`, writing its CSV and keeping its JSON and
    /// bars in `results` after every step.
    private func measure(_ scenario: some Scenario, named name: String, into results: inout SuiteResults)
        async throws
    {
        _ = try await scenario.measure { report in
            try files.write(report, run: name, gathering: &results.json)
            // The charts keep the latest bar of each series and group.
            results.bars += report.medians.map(\.bar)
        }
    }

    /// The time since `start` as minutes and seconds (`1m05s`).
    private static func minutes(since start: ContinuousClock.Instant) -> String {
        let seconds = Int(((ContinuousClock.now - start) / .seconds(1)).rounded())
        return "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s"
    }

}

/// What the suite's runs reported so far, in memory: every bar their medians drew (for
/// `--report`), and each run's JSON by run name (for `--json`).
private struct SuiteResults {
    var bars: [Bar] = []
    var json: [String: Any] = [:]
}

/// Why the suite exits non-zero: the scenarios that failed (each said why when it did).
struct SuiteFailure: Error, CustomStringConvertible {
    var scenarios: [String]

    var description: String { "failed: \(scenarios.joined(separator: ", "))" }
}
