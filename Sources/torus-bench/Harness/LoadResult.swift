import Foundation
import Histogram

/// One measured run of a load scenario (echo, http): our load generator's exchanges (an
/// echo round trip, an HTTP request and its response) against one server, and what the
/// server spent on them.
struct LoadResult {
    var exchangesPerSecond: Double
    var serverCPUMicrosPerExchange: Double
    /// Heap allocations in the server process during the measured window, when the
    /// server counts them (the Torus and SwiftNIO servers do; the C references do not).
    var mallocs: Int?
    var systemCallsPerExchange: Double?
    var latency: LatencyPercentiles
    var failures: Int

    /// One line for the progress log.
    var summary: String {
        String(
            format: "%.0f rt/s, server %.3f us CPU/rt, p50 %.1f us, p99 %.1f us, %@ mallocs in the window",
            exchangesPerSecond, serverCPUMicrosPerExchange, latency.p50, latency.p99,
            mallocs.map(String.init) ?? "-")
    }
}

/// Exchange latency percentiles of one run, in microseconds, as the client saw them
/// (from writing the request to reading the last byte of its answer).
struct LatencyPercentiles {
    var p50: Double
    var p99: Double
    var p999: Double

    /// Reads the percentiles of `histogram` (nanoseconds).
    init(_ histogram: Histogram<UInt64>) {
        p50 = Double(histogram.valueAtPercentile(50)) / 1000
        p99 = Double(histogram.valueAtPercentile(99)) / 1000
        p999 = Double(histogram.valueAtPercentile(99.9)) / 1000
    }
}

extension [LoadResult] {
    /// What the tables and reports show for these runs of one server: the run with the
    /// median server CPU per exchange, with the most allocations any run's window saw.
    var median: LoadResult {
        var median = self.median(by: \.serverCPUMicrosPerExchange)!
        median.mallocs = compactMap(\.mallocs).max()
        return median
    }
}
