import TorusTestSupport
import ArgumentParser
import Foundation
import TorusBenchCharts

/// `--json FILE`, `--csv FILE` and `--report DIR`, shared by the scenarios: checked
/// before a session starts (a typo must not cost a long run), written after every
/// scenario.
struct ReportOptions: ParsableArguments {
    @Option(help: "Also write every run's figures and the medians to this JSON file.")
    var json: String?

    @Option(help: "Also write every run's figures and the medians to this CSV file.")
    var csv: String?

    @OptionGroup var charts: ChartOptions

    func validate() throws {
        try Self.checkWritable(("--json", json), ("--csv", csv))
    }

    /// Refuses an output file whose directory cannot be written, naming its option.
    static func checkWritable(_ files: (option: String, path: String?)...) throws {
        for (option, path) in files {
            guard let path else { continue }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard access(directory, W_OK) == 0 else {
                throw ValidationError("\(option) \(path): directory \(directory) is not writable")
            }
        }
    }

    /// Writes `report` to the files asked for, and its chart with `--report`.
    func write(_ report: BenchReport<some ChartedRecord>) throws {
        if let json { try report.writeJSON(to: json) }
        if let csv { try report.writeCSV(to: csv) }
        try charts.write(report.medians.map(\.bar), heading: "torus-bench \(report.medians.first?.bar.scenario ?? "")")
    }
}

/// `--report DIR`: one SVG chart per scenario and an `index.html` that shows them.
struct ChartOptions: ParsableArguments {
    @Option(
        name: .customLong("report"),
        help: ArgumentHelp(
            "Also write an SVG chart per scenario and an index.html to this directory.", valueName: "dir"))
    var directory: String?

    func validate() throws {
        guard let directory else { return }
        if FileManager.default.fileExists(atPath: directory) {
            guard Directory.isWritable(directory) else {
                throw ValidationError("--report \(directory): not a writable directory")
            }
        } else {
            let parent = URL(fileURLWithPath: directory).deletingLastPathComponent().path
            guard Directory.isWritable(parent) else {
                throw ValidationError(
                    "--report \(directory): cannot be created (\(parent) is not a writable directory)")
            }
        }
    }

    /// Writes the charts of `bars` and the index, headed by `heading`, when asked to.
    func write(_ bars: [Bar], heading: String) throws {
        guard let directory else { return }
        let note = "Medians, measured side by side on one machine; written \(Date().formatted(.iso8601))."
        try ChartReport.write(BarChart.charts(of: bars), heading: heading, note: note, to: directory)
    }
}
