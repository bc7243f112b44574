import Foundation

/// One server's figures over one report interval of a soak (a minute by default): what
/// its clients did (``SoakTally/Counts``), its resident memory at the end of the
/// interval, and its open descriptors: the median of the counts sampled about once a
/// second during the interval (with churn, connections closing and opening make a
/// single count swing by tens).
struct SoakInterval {
    /// Seconds from the start of the load to the end of this interval.
    var elapsedSeconds: Double
    var counts: SoakTally.Counts
    /// The server's VmRSS, in KiB.
    var residentKiB: Int
    /// The server's open descriptors (/proc/PID/fd), the median over the interval.
    var descriptors: Int

    /// The elapsed time as minutes:seconds.
    var elapsed: String {
        let seconds = Int(elapsedSeconds.rounded())
        return String(format: "%02d:%02d", seconds / 60, seconds % 60)
    }

    /// The report line of `server` for this interval (names padded to one width, so the
    /// lines of a run align).
    func line(_ server: String) -> String {
        "\(elapsed) \(server.padding(toLength: 20, withPad: " ", startingAt: 0)) exchanges=\(counts.exchanges)"
            + " connections=\(counts.connections) resets=\(counts.resets) pushed_back=\(counts.pushedBack)"
            + " errors=\(counts.unexpectedErrors)"
            + " rss_kib=\(residentKiB) fds=\(descriptors) p99_us=\(String(format: "%.1f", counts.p99Microseconds))"
    }
}
