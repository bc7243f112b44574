import Foundation

/// The markdown table `torus-bench echo` prints for one scenario.
enum EchoTable {
    /// Prints one row per server: the median run, the spread of the server's CPU per
    /// round trip over all runs, the median's ratio to its C reference's and to SwiftNIO's
    /// (when those servers ran), the median run's latency percentiles, and the most
    /// allocations any run's window saw.
    static func print(_ rows: [(server: EchoServerName, runs: [EchoResult])]) {
        let medians = Dictionary(uniqueKeysWithValues: rows.map { ($0.server, $0.runs.median) })
        func ratio(_ result: EchoResult, to server: EchoServerName) -> String {
            guard let reference = medians[server] else { return "-" }
            return String(format: "%.2fx", result.serverCPUMicrosPerRoundTrip / reference.serverCPUMicrosPerRoundTrip)
        }
        Swift.print(
            "| server | round trips/s | server CPU us/rt | min-max over runs | vs C same design | vs NIO"
                + " | p50 us | p99 us | p99.9 us | syscalls/rt | server mallocs (window) |")
        Swift.print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in rows {
            let result = medians[row.server]!
            let cpu = row.runs.map(\.serverCPUMicrosPerRoundTrip)
            let calls = result.systemCallsPerRoundTrip.map { String(format: "%.2f", $0) } ?? "-"
            Swift.print(
                String(
                    format: "| %@ | %.0f | %.3f | %.2f-%.2f | %@ | %@ | %.1f | %.1f | %.1f | %@ | %@ |",
                    row.server.rawValue, result.roundTripsPerSecond, result.serverCPUMicrosPerRoundTrip, cpu.min()!,
                    cpu.max()!, ratio(result, to: row.server.reference), ratio(result, to: .nio), result.latency.p50,
                    result.latency.p99, result.latency.p999, calls,
                    row.runs.compactMap(\.mallocs).max().map(String.init) ?? "-"))
        }
    }
}
