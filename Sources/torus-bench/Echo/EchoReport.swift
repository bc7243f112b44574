import TorusBenchCharts
import Foundation

/// The report of a `torus-bench echo` session (``BenchReport``).
typealias EchoReport = BenchReport<EchoRecord>

/// One echo run's figures, or a scenario's median (`run` nil).
struct EchoRecord: BenchRecord {
    var scenario = "echo"
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
    /// The event loops (threads) the server ran on.
    var loops: Int
    /// How a Torus server on several loops spread connections (`reuseport`, `handoff`).
    var sharding: String?

    /// `result`, measured against `server` with `connections` clients of `size` bytes.
    init(server: ServerDescription, connections: Int, size: Int, result: LoadResult) {
        self.server = server.name
        loops = server.loops
        sharding = server.sharding?.rawValue
        self.connections = connections
        self.size = size
        roundTripsPerSecond = result.exchangesPerSecond
        serverCPUMicrosPerRoundTrip = result.serverCPUMicrosPerExchange
        p50Micros = result.latency.p50
        p99Micros = result.latency.p99
        p999Micros = result.latency.p999
        systemCallsPerRoundTrip = result.systemCallsPerExchange
        mallocs = result.mallocs
        failures = result.failures
    }

    var csvFields: [String?] {
        [
            scenario, server, String(connections), String(size), runField, String(roundTripsPerSecond),
            String(serverCPUMicrosPerRoundTrip), String(p50Micros), String(p99Micros), String(p999Micros),
            systemCallsPerRoundTrip.map { String($0) }, mallocs.map(String.init), String(failures), String(loops),
            sharding,
        ]
    }

    static let csvHeader =
        "scenario,server,connections,size,run,round_trips_per_second,server_cpu_micros_per_round_trip,"
        + "p50_micros,p99_micros,p999_micros,system_calls_per_round_trip,mallocs,failures,loops,sharding"
}

extension EchoReport {
    /// Adds one (connections, size) pair's runs of every server, and each server's
    /// median as its table shows it (`[LoadResult].median`).
    mutating func add(connections: Int, size: Int, rows: [(server: ServerDescription, runs: [LoadResult])]) {
        for (server, runs) in rows {
            add(runs, median: runs.median) {
                EchoRecord(server: server, connections: connections, size: size, result: $0)
            }
        }
    }
}

extension EchoRecord: ChartedRecord {
    var bar: Bar {
        Bar(
            scenario: "echo", title: "echo: server CPU per round trip",
            metric: "server CPU us per round trip (lower is better)", axis: "connections, message size",
            group: "\(connections) conn, \(size % 1024 == 0 ? "\(size / 1024) KiB" : "\(size) B")", series: server,
            value: serverCPUMicrosPerRoundTrip)
    }
}
