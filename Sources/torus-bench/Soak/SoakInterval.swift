import Foundation

/// One server's figures over one report interval of a soak (a minute by default): what
/// its clients did (``SoakTally/Counts``), and its resident memory and open descriptors,
/// each the median of the samples taken during the interval (the descriptors come and go
/// with the churn; the median is what the server holds, not a sample's luck).
struct SoakInterval {
    /// Seconds from the start of the load to the end of this interval.
    var elapsedSeconds: Double
    var counts: SoakTally.Counts
    /// The server's VmRSS, in KiB.
    var residentKiB: Int
    /// The server's open descriptors (/proc/PID/fd).
    var descriptors: Int

    /// The median of `samples` (the upper one of an even count); 0 for none.
    static func median(_ samples: [Int]) -> Int {
        samples.isEmpty ? 0 : samples.sorted()[samples.count / 2]
    }

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
