/// When to retry a fetch that failed for want of a resource (EMFILE, ENFILE, ENOBUFS,
/// ENOMEM): later, and later each time, since retrying at once only meets the same
/// exhaustion. Such retries do not count as tries of the page (``Crawler/Configuration/maxTries``)
/// until ``maxRetries`` are spent; after that the failure counts like any other.
public struct ResourceBackoff: Sendable, Equatable {
    /// The wait before the first retry: 10 ms by default.
    public var initialDelay: Duration = .milliseconds(10)
    /// The longest wait: 1 s by default. Each wait doubles the one before up to this.
    public var maxDelay: Duration = .seconds(1)
    /// Retries before the failure counts as a try: 16 by default, which wait 10.27 s in
    /// all (10 ms to 640 ms, then 1 s nine times), longer than a request's default
    /// timeout (10 s), the longest a busy connection keeps its descriptor.
    public var maxRetries = 16

    /// The defaults.
    public init() {}

    /// The wait before resource retry `retry` (1 for the first), or nil when
    /// ``maxRetries`` are spent.
    public func delay(beforeRetry retry: Int) -> Duration? {
        guard retry >= 1, retry <= maxRetries else { return nil }
        var delay = initialDelay
        var doublings = retry - 1
        while doublings > 0, (delay < maxDelay), (delay > .zero) {
            delay *= 2
            doublings -= 1
        }
        return min(delay, maxDelay)
    }
}
