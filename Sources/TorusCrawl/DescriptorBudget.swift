import Foundation
import Glibc

/// How many connections the open-file limit leaves room for: each connection is a
/// descriptor, and a crawl with more workers than descriptors must cap its connections
/// (and let the other workers wait) rather than fail pages with EMFILE.
public enum DescriptorBudget {
    /// Descriptors left free for everything but the connections: 64. What else the
    /// process opens while it crawls is small and short-lived (a name lookup's socket
    /// and `/etc` files, the `--json` file, a log file, a loop's ring or eventfd made
    /// later); 64 covers those several times over, and is under 7 % of the usual 1024.
    public static let headroom = 64

    /// The connections that fit: the soft RLIMIT_NOFILE less the descriptors open now
    /// and the ``headroom``, at least 1.
    public static func connections() -> Int {
        connections(softLimit: softLimit, open: openDescriptors())
    }

    /// The soft RLIMIT_NOFILE; `Int.max` when unlimited or unknown.
    public static var softLimit: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return .max }
        return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY is all ones: Int.max
    }

    /// The connections that fit under `softLimit` with `open` descriptors open already.
    static func connections(softLimit: Int, open: Int) -> Int {
        max(1, softLimit.subtractingReportingOverflow(open + headroom).partialValue)
    }

    /// The descriptors this process has open (the entries of `/proc/self/fd`, less the
    /// one reading it); 0 when that cannot be read.
    static func openDescriptors() -> Int {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return 0 }
        return max(0, entries.count - 1)
    }
}
