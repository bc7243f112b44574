import Glibc

/// Process resource limits a server under load needs.
enum ResourceLimits {
    /// Raises the soft RLIMIT_NOFILE to the hard limit, so thousands of connections fit.
    /// Returns the new soft limit.
    @discardableResult
    static func raiseOpenFiles() -> UInt {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return UInt(limit.rlim_cur)
    }
}
