import Foundation

/// Every figure of a `torus-bench echo` session, for `--json` and `--csv`: each run, and
/// each scenario's median as its table shows it.
struct EchoReport: Encodable {
    /// One run's figures, or a scenario's median (`run` nil).
    struct Record: Encodable {
        var scenario = "echo"
        var server: String
        var connections: Int
        var size: Int
        /// 1-based run index; nil for a median.
        var run: Int?
        var roundTripsPerSecond: Double
        var serverCPUMicrosPerRoundTrip: Double
        var p50Micros: Double
        var p99Micros: Double
        var p999Micros: Double
        var systemCallsPerRoundTrip: Double?
        /// For a median: the most any run's window saw, as in the table.
        var mallocs: Int?
        var failures: Int

        /// The figures of `result`, one run of `server` on a (connections, size) pair.
        init(server: EchoServerName, connections: Int, size: Int, run: Int?, result: EchoResult) {
            self.server = server.rawValue
            self.connections = connections
            self.size = size
            self.run = run
            roundTripsPerSecond = result.roundTripsPerSecond
            serverCPUMicrosPerRoundTrip = result.serverCPUMicrosPerRoundTrip
            p50Micros = result.latency.p50
            p99Micros = result.latency.p99
            p999Micros = result.latency.p999
            systemCallsPerRoundTrip = result.systemCallsPerRoundTrip
            mallocs = result.mallocs
            failures = result.failures
        }

        /// The CSV line (no newline); an absent figure is an empty field.
        var csv: String {
            let fields: [String?] = [
                scenario, server, String(connections), String(size), run.map(String.init) ?? "median",
                String(roundTripsPerSecond), String(serverCPUMicrosPerRoundTrip), String(p50Micros),
                String(p99Micros), String(p999Micros), systemCallsPerRoundTrip.map { String($0) },
                mallocs.map(String.init), String(failures),
            ]
            return fields.map { $0 ?? "" }.joined(separator: ",")
        }

        /// The CSV header: the JSON keys, in the order of ``csv``.
        static let csvHeader =
            "scenario,server,connections,size,run,round_trips_per_second,server_cpu_micros_per_round_trip,"
            + "p50_micros,p99_micros,p999_micros,system_calls_per_round_trip,mallocs,failures"
    }

    var runs: [Record] = []
    var medians: [Record] = []

    /// Adds one scenario's runs and medians.
    mutating func add(connections: Int, size: Int, rows: [(server: EchoServerName, runs: [EchoResult])]) {
        for row in rows {
            for (index, result) in row.runs.enumerated() {
                runs.append(
                    Record(server: row.server, connections: connections, size: size, run: index + 1, result: result))
            }
            var median = Record(
                server: row.server, connections: connections, size: size, run: nil, result: row.runs.median)
            median.mallocs = row.runs.compactMap(\.mallocs).max()
            medians.append(median)
        }
    }

    /// Writes the report as JSON (`{"runs": [...], "medians": [...]}`, snake_case keys).
    func writeJSON(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }

    /// Writes the report as CSV: a header, every run, then the medians (run `median`).
    func writeCSV(to path: String) throws {
        let lines = [Record.csvHeader] + (runs + medians).map(\.csv)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
    }
}
