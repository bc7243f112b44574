import Foundation

/// The report of a `torus-bench echo` or `http` session (``BenchReport``).
typealias EchoReport = BenchReport<EchoRecord>

/// One echo or http run's figures (an HTTP request and its response are a round trip),
/// or a scenario's median (`run` nil).
struct EchoRecord: BenchRecord {
    var scenario: String
    var server: String
    var connections: Int
    var size: Int
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

    /// The figures of `result`, one run of `server` on a (connections, size) pair of
    /// `scenario`.
    init(scenario: String, server: String, connections: Int, size: Int, result: EchoResult) {
        self.scenario = scenario
        self.server = server
        self.connections = connections
        self.size = size
        roundTripsPerSecond = result.roundTripsPerSecond
        serverCPUMicrosPerRoundTrip = result.serverCPUMicrosPerRoundTrip
        p50Micros = result.latency.p50
        p99Micros = result.latency.p99
        p999Micros = result.latency.p999
        systemCallsPerRoundTrip = result.systemCallsPerRoundTrip
        mallocs = result.mallocs
        failures = result.failures
    }

    var csvFields: [String?] {
        [
            scenario, server, String(connections), String(size), runField, String(roundTripsPerSecond),
            String(serverCPUMicrosPerRoundTrip), String(p50Micros), String(p99Micros), String(p999Micros),
            systemCallsPerRoundTrip.map { String($0) }, mallocs.map(String.init), String(failures),
        ]
    }

    static let csvHeader =
        "scenario,server,connections,size,run,round_trips_per_second,server_cpu_micros_per_round_trip,"
        + "p50_micros,p99_micros,p999_micros,system_calls_per_round_trip,mallocs,failures"
}

extension EchoReport {
    /// Adds one scenario's runs and medians; a median's mallocs are the most any run saw.
    mutating func add(scenario: String, connections: Int, size: Int, rows: [(server: String, runs: [EchoResult])]) {
        for row in rows {
            let records = row.runs.map {
                EchoRecord(scenario: scenario, server: row.server, connections: connections, size: size, result: $0)
            }
            add(records, medianBy: \.serverCPUMicrosPerRoundTrip)
            medians[medians.count - 1].mallocs = row.runs.compactMap(\.mallocs).max()
        }
    }
}
