import Foundation

/// One wrk run against one server: wrk's figures, and the server's CPU per request.
struct WrkResult {
    var requestsPerSecond: Double
    var serverCPUMicrosPerRequest: Double
    /// wrk's latency distribution (`--latency`): 50, 75, 90 and 99 %, in microseconds.
    var p50: Double
    var p75: Double
    var p90: Double
    var p99: Double
    /// Socket errors (connect, read, write, timeout) and non-2xx/3xx responses.
    var errors: Int

    /// Reads wrk's report (`output`, its lines) and divides the server's CPU over the run
    /// by the requests wrk completed; nil when a figure is missing.
    init?(output: [String], serverCPUNanoseconds: UInt64) {
        var percentiles: [String: Double] = [:]
        var requests: Int?
        var rate: Double?
        var errors = 0
        for line in output {
            let words = line.split(separator: " ")
            guard let first = words.first else { continue }
            if ["50%", "75%", "90%", "99%"].contains(first), words.count == 2 {
                percentiles[String(first)] = Self.microseconds(words[1])
            } else if words.count > 2, words[1] == "requests", words[2] == "in" {
                requests = Int(first)
            } else if first == "Requests/sec:" {
                rate = words.last.flatMap { Double($0) }
            } else if line.hasPrefix("  Socket errors:") || line.hasPrefix("  Non-2xx or 3xx responses:") {
                errors += words.compactMap { Int($0.filter(\.isNumber)) }.reduce(0, +)
            }
        }
        guard let requests, requests > 0, let rate, let p50 = percentiles["50%"],
            let p75 = percentiles["75%"], let p90 = percentiles["90%"], let p99 = percentiles["99%"]
        else { return nil }
        requestsPerSecond = rate
        serverCPUMicrosPerRequest = Double(serverCPUNanoseconds) / 1000 / Double(requests)
        (self.p50, self.p75, self.p90, self.p99) = (p50, p75, p90, p99)
        self.errors = errors
    }

    /// A wrk duration (`420.00us`, `1.23ms`, `1.50s`, `2.00m`) in microseconds.
    private static func microseconds(_ text: Substring) -> Double? {
        let units: [(suffix: String, micros: Double)] = [("us", 1), ("ms", 1e3), ("s", 1e6), ("m", 6e7), ("h", 3.6e9)]
        for unit in units where text.hasSuffix(unit.suffix) {
            return Double(text.dropLast(unit.suffix.count)).map { $0 * unit.micros }
        }
        return nil
    }

    /// One line for the progress log.
    var summary: String {
        String(
            format: "wrk: %.0f req/s, server %.3f us CPU/req, p50 %.1f us, p99 %.1f us, %d errors", requestsPerSecond,
            serverCPUMicrosPerRequest, p50, p99, errors)
    }

    /// Prints one row per server's median run (by server CPU per request): wrk's figures,
    /// and the CPU per request as ratios to SwiftNIO's and nginx's (when they ran).
    static func printTable(_ rows: [(server: String, runs: [WrkResult])]) {
        let medians = Dictionary(uniqueKeysWithValues: rows.map { ($0.server, $0.runs.median) })
        func ratio(_ result: WrkResult, to server: String) -> String {
            ratioCell(result.serverCPUMicrosPerRequest, medians[server]?.serverCPUMicrosPerRequest)
        }
        print(
            "| server | requests/s | server CPU us/req | vs NIO | vs nginx | p50 us | p75 us | p90 us | p99 us | errors |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in rows {
            let result = medians[row.server]!
            print(
                String(
                    format: "| %@ | %.0f | %.3f | %@ | %@ | %.1f | %.1f | %.1f | %.1f | %d |", row.server,
                    result.requestsPerSecond, result.serverCPUMicrosPerRequest,
                    ratio(result, to: Contender.nio.rawValue), ratio(result, to: Nginx.name), result.p50, result.p75,
                    result.p90, result.p99, result.errors))
        }
    }
}

extension [WrkResult] {
    /// The run with the median server CPU per request.
    var median: WrkResult { median(by: \.serverCPUMicrosPerRequest)! }
}
