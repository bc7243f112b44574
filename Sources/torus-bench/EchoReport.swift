import Foundation

/// The report of a `torus-bench echo` session (``BenchReport``).
typealias EchoReport = BenchReport<EchoRecord>

/// One echo run's figures, or a scenario's median (`run` nil): a measured
/// ``EchoResult`` and where it was measured.
struct EchoRecord: BenchRecord {
    var scenario: String
    var server: String
    var connections: Int
    var size: Int
    var run: Int?
    var result: EchoResult

    var csvFields: [String?] {
        [
            scenario, server, String(connections), String(size), runField, String(result.roundTripsPerSecond),
            String(result.serverCPUMicrosPerRoundTrip), String(result.latency.p50), String(result.latency.p99),
            String(result.latency.p999), result.systemCallsPerRoundTrip.map { String($0) },
            result.mallocs.map(String.init), String(result.failures),
        ]
    }

    static let csvHeader =
        "scenario,server,connections,size,run,round_trips_per_second,server_cpu_micros_per_round_trip,"
        + "p50_micros,p99_micros,p999_micros,system_calls_per_round_trip,mallocs,failures"

    /// The JSON keys: the CSV's, flat.
    private enum CodingKeys: String, CodingKey {
        case scenario, server, connections, size, run, roundTripsPerSecond, serverCPUMicrosPerRoundTrip
        case p50Micros, p99Micros, p999Micros, systemCallsPerRoundTrip, mallocs, failures
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(scenario, forKey: .scenario)
        try container.encode(server, forKey: .server)
        try container.encode(connections, forKey: .connections)
        try container.encode(size, forKey: .size)
        try container.encodeIfPresent(run, forKey: .run)
        try container.encode(result.roundTripsPerSecond, forKey: .roundTripsPerSecond)
        try container.encode(result.serverCPUMicrosPerRoundTrip, forKey: .serverCPUMicrosPerRoundTrip)
        try container.encode(result.latency.p50, forKey: .p50Micros)
        try container.encode(result.latency.p99, forKey: .p99Micros)
        try container.encode(result.latency.p999, forKey: .p999Micros)
        try container.encodeIfPresent(result.systemCallsPerRoundTrip, forKey: .systemCallsPerRoundTrip)
        try container.encodeIfPresent(result.mallocs, forKey: .mallocs)
        try container.encode(result.failures, forKey: .failures)
    }
}

extension EchoReport {
    /// Adds one (connections, size) pair's runs of every server, and each server's
    /// median as its table shows it (`[EchoResult].median`).
    mutating func add(connections: Int, size: Int, rows: [(server: String, runs: [EchoResult])]) {
        for (server, runs) in rows {
            func record(_ result: EchoResult) -> EchoRecord {
                EchoRecord(
                    scenario: "echo", server: server, connections: connections, size: size, result: result)
            }
            add(runs.map(record), median: record(runs.median))
        }
    }
}
