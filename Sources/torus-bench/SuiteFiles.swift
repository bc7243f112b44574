import ArgumentParser
import Foundation

/// The suite's `--json FILE` and `--csv FILE`. Each scenario run writes its own CSV
/// beside FILE, named after the run (`results.echo-1.csv`: scenarios differ in columns);
/// the JSON of every run is gathered into FILE, one key per run (`"echo-1"`, `"http"`),
/// and the runs' own JSON files are removed at the end.
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

    /// The subcommand options that make the run named `run` write its files.
    func arguments(forRun run: String) -> [String] {
        (json.map { ["--json", Self.path($0, run: run)] } ?? [])
            + (csv.map { ["--csv", Self.path($0, run: run)] } ?? [])
    }

    /// Gathers the JSON the runs named `runs` wrote into the `--json` file, one key per
    /// run (after every scenario, so an interrupted suite keeps what it measured). Runs
    /// that failed before writing are left out.
    func gatherJSON(runs: [String]) throws {
        guard let json else { return }
        var gathered: [String: Any] = [:]
        for run in runs {
            guard let data = FileManager.default.contents(atPath: Self.path(json, run: run)) else { continue }
            gathered[run] = try JSONSerialization.jsonObject(with: data)
        }
        let data = try JSONSerialization.data(withJSONObject: gathered, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: json))
    }

    /// Removes the runs' own JSON files once the suite has gathered them.
    func removeRunJSON(runs: [String]) {
        guard let json else { return }
        for run in runs { try? FileManager.default.removeItem(atPath: Self.path(json, run: run)) }
    }

    /// `path` with `run` before its extension: `out/results.csv` → `out/results.echo-1.csv`.
    static func path(_ path: String, run: String) -> String {
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().path
        return url.pathExtension.isEmpty ? "\(stem).\(run)" : "\(stem).\(run).\(url.pathExtension)"
    }
}
