import ArgumentParser
import Foundation

/// The suite's `--json FILE` and `--csv FILE`. Each scenario run's CSV goes beside FILE,
/// named after the run (`results.echo-1.csv`: scenarios differ in columns); the JSON of
/// every run goes into FILE, one key per run (`"echo-1"`, `"http"`).
struct SuiteFiles: ParsableArguments {
    @Option(help: "Also write every run's figures and medians to this JSON file, one key per scenario run.")
    var json: String?

    @Option(help: "Also write a CSV per scenario run beside this path (results.csv: results.echo-1.csv, ...).")
    var csv: String?

    func validate() throws {
        try ReportOptions.checkWritable(("--json", json), ("--csv", csv))
    }

    /// The name of run `index` of `scenario`'s `count` runs: the scenario, numbered when
    /// it has several.
    static func runName(_ scenario: SuiteScenario, index: Int, count: Int) -> String {
        count == 1 ? scenario.rawValue : "\(scenario.rawValue)-\(index + 1)"
    }

    /// Writes the CSV of the run named `run` beside the `--csv` file, and keeps its JSON
    /// in `gathered` under its name, for ``writeJSON(_:)``.
    func write(_ report: BenchReport<some BenchRecord>, run: String, gathering gathered: inout [String: Any]) throws {
        if let csv { try report.writeCSV(to: Self.path(csv, run: run)) }
        if json != nil { gathered[run] = try JSONSerialization.jsonObject(with: report.jsonData()) }
    }

    /// Writes the JSON of every run so far into the `--json` file, one key per run (after
    /// every scenario, so an interrupted suite keeps what it measured).
    func writeJSON(_ gathered: [String: Any]) throws {
        guard let json else { return }
        let data = try JSONSerialization.data(withJSONObject: gathered, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: json))
    }

    /// `path` with `run` before its extension: `out/results.csv` → `out/results.echo-1.csv`.
    static func path(_ path: String, run: String) -> String {
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().path
        return url.pathExtension.isEmpty ? "\(stem).\(run)" : "\(stem).\(run).\(url.pathExtension)"
    }
}
