import ArgumentParser
import Foundation

/// `--json FILE` and `--csv FILE`, shared by the scenarios: checked before a session
/// starts (a typo must not cost a long run), written after every scenario.
struct ReportOptions: ParsableArguments {
    @Option(help: "Also write every run's figures and the medians to this JSON file.")
    var json: String?

    @Option(help: "Also write every run's figures and the medians to this CSV file.")
    var csv: String?

    func validate() throws {
        for (option, path) in [("--json", json), ("--csv", csv)] {
            guard let path else { continue }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard access(directory, W_OK) == 0 else {
                throw ValidationError("\(option) \(path): directory \(directory) is not writable")
            }
        }
    }

    /// Writes `report` to the files asked for.
    func write(_ report: BenchReport<some BenchRecord>) throws {
        if let json { try report.writeJSON(to: json) }
        if let csv { try report.writeCSV(to: csv) }
    }
}
