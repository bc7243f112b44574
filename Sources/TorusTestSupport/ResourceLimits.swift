import Glibc

/// Process resource limits a server under load needs (torus-bench), and that the tests
/// raise and check.
public enum ResourceLimits {
    /// The soft and hard RLIMIT_NOFILE now.
    public static func openFiles() -> (soft: UInt, hard: UInt) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        return (UInt(limit.rlim_cur), UInt(limit.rlim_max))
    }

    /// Raises the soft RLIMIT_NOFILE to the hard limit, so thousands of connections fit.
    /// Returns the new soft limit.
    @discardableResult
    public static func raiseOpenFiles() -> UInt {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return UInt(limit.rlim_cur)
    }
}
