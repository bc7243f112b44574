import TorusBenchCharts

/// The report of a `torus-bench http` session (``BenchReport``).
typealias HTTPReport = BenchReport<HTTPRecord>

/// One http run's figures, or a scenario's median (`run` nil), from either client: ours
/// (`torus`: one Torus io_uring loop) or `wrk`. Figures a client does not give are nil:
/// wrk reports 75 and 90 % but no 99.9 %, ours the reverse; system calls and
/// allocations are the Torus and SwiftNIO servers' own counts, with our client only.
struct HTTPRecord: BenchRecord {
    var scenario = "http"
    var client: String
    var server: String
    var connections: Int
    var run: Int?
    var requestsPerSecond: Double
    var serverCPUMicrosPerRequest: Double
    var p50Micros: Double
    var p75Micros: Double?
    var p90Micros: Double?
    var p99Micros: Double
    var p999Micros: Double?
    var systemCallsPerRequest: Double?
    /// For a median: the most any run's window saw, as in the table.
    var mallocs: Int?
    var failures: Int

    /// A run of our client against `server`.
    init(server: String, connections: Int, result: LoadResult) {
        client = "torus"
        self.server = server
        self.connections = connections
        requestsPerSecond = result.exchangesPerSecond
        serverCPUMicrosPerRequest = result.serverCPUMicrosPerExchange
        p50Micros = result.latency.p50
        p99Micros = result.latency.p99
        p999Micros = result.latency.p999
        systemCallsPerRequest = result.systemCallsPerExchange
        mallocs = result.mallocs
        failures = result.failures
    }

    /// A run of wrk against `server`.
    init(server: String, connections: Int, wrk result: WrkResult) {
        client = "wrk"
        self.server = server
        self.connections = connections
        requestsPerSecond = result.requestsPerSecond
        serverCPUMicrosPerRequest = result.serverCPUMicrosPerRequest
        p50Micros = result.p50
        p75Micros = result.p75
        p90Micros = result.p90
        p99Micros = result.p99
        failures = result.errors
    }

    var csvFields: [String?] {
        [
            scenario, client, server, String(connections), runField, String(requestsPerSecond),
            String(serverCPUMicrosPerRequest), String(p50Micros), p75Micros.map { String($0) },
            p90Micros.map { String($0) }, String(p99Micros), p999Micros.map { String($0) },
            systemCallsPerRequest.map { String($0) }, mallocs.map(String.init), String(failures),
        ]
    }

    static let csvHeader =
        "scenario,client,server,connections,run,requests_per_second,server_cpu_micros_per_request,p50_micros,"
        + "p75_micros,p90_micros,p99_micros,p999_micros,system_calls_per_request,mallocs,failures"
}

extension HTTPRecord: ChartedRecord {
    var bar: Bar {
        Bar(
            scenario: "http", title: "http plaintext: server CPU per request",
            metric: "server CPU us per request (lower is better)", axis: "keep-alive connections",
            group: "\(connections) conn", series: client == "torus" ? server : "\(server) (\(client))",
            value: serverCPUMicrosPerRequest)
    }
}
