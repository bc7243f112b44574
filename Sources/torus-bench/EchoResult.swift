import Foundation
import Histogram

/// One measured echo run.
struct EchoResult {
    var roundTripsPerSecond: Double
    var serverCPUMicrosPerRoundTrip: Double
    /// Heap allocations in the server process during the measured window, when the
    /// server counts them (the Torus and SwiftNIO servers do; the C references do not).
    var mallocs: Int?
    var systemCallsPerRoundTrip: Double?
    var latency: LatencyPercentiles
    var failures: Int

    /// One line for the progress log.
    var summary: String {
        String(
            format: "%.0f rt/s, server %.3f us CPU/rt, p50 %.1f us, p99 %.1f us, %@ mallocs in the window",
            roundTripsPerSecond, serverCPUMicrosPerRoundTrip, latency.p50, latency.p99,
            mallocs.map(String.init) ?? "-")
    }
}

/// Round-trip latency percentiles of one run, in microseconds, as the client saw them
/// (from writing the message to reading the last byte of its echo).
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

extension [EchoResult] {
    /// What the tables and reports show for these runs of one server: the run with the
    /// median server CPU per round trip, with the most allocations any run's window saw.
    var median: EchoResult {
        var median = self.median(by: \.serverCPUMicrosPerRoundTrip)!
        median.mallocs = compactMap(\.mallocs).max()
        return median
    }
}
