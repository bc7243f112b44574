import Foundation

/// One row of a benchmark report (a run, or a median with `run` nil): what
/// ``BenchReport`` writes as a JSON object and a CSV line.
protocol BenchRecord: Encodable {
    /// The CSV header: the JSON keys, in the order of ``csvFields``.
    static var csvHeader: String { get }
    /// 1-based run index; nil for a median.
    var run: Int? { get set }
    /// The CSV fields; an absent figure is nil (an empty field).
    var csvFields: [String?] { get }
}

extension BenchRecord {
    /// The CSV line (no newline).
    var csv: String { csvFields.map { $0 ?? "" }.joined(separator: ",") }

    /// The run index as the CSV shows it: the number, or `median`.
    var runField: String { run.map(String.init) ?? "median" }
}

/// Every figure of a benchmark session, for `--json` and `--csv`: each run, and each
/// scenario's median as its table shows it. Shared by all the `torus-bench` scenarios.
struct BenchReport<Record: BenchRecord>: Encodable {
    var runs: [Record] = []
    var medians: [Record] = []

    /// Adds one contender's runs (numbered from 1) and its median: the run in the
    /// middle when sorted by `key`.
    mutating func add(_ results: [Record], medianBy key: (Record) -> Double) {
        add(results, median: results.median(by: key))
    }

    /// Adds one contender's runs (numbered from 1) and `median`, what its table shows.
    mutating func add(_ results: [Record], median: Record?) {
        for (index, var record) in results.enumerated() {
            record.run = index + 1
            runs.append(record)
        }
        guard var median else { return }
        median.run = nil
        medians.append(median)
    }

    /// Adds one contender's `runs` and `median`, each made a record by `record`.
    mutating func add<Run>(_ runs: [Run], median: Run, as record: (Run) -> Record) {
        add(runs.map(record), median: record(median))
    }

    /// The report as JSON (`{"runs": [...], "medians": [...]}`, snake_case keys).
    func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }

    /// Writes the report as JSON (``jsonData()``).
    func writeJSON(to path: String) throws {
        try jsonData().write(to: URL(fileURLWithPath: path))
    }

    /// Writes the report as CSV: a header, every run, then the medians (run `median`).
    func writeCSV(to path: String) throws {
        let lines = [Record.csvHeader] + (runs + medians).map(\.csv)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
    }
}

extension Array {
    /// The element in the middle when sorted by `key` (the upper one of an even count);
    /// nil when empty.
    func median(by key: (Element) -> Double) -> Element? {
        sorted { key($0) < key($1) }.dropFirst(count / 2).first
    }
}

/// A table cell for `value / reference` ("1.23x"), or "-" when there is no reference.
func ratioCell(_ value: Double, _ reference: Double?) -> String {
    reference.map { String(format: "%.2fx", value / $0) } ?? "-"
}
