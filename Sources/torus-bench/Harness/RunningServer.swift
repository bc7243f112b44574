/// A server that `torus-bench serve` runs in its own process (echo, http) until SIGINT or
/// SIGTERM: Torus on one of its reactors (``TorusServer``), or SwiftNIO (``NIOServer``)
/// as the reference of a mature selector runtime.
protocol RunningServer: Sendable {
    /// The port it listens on, on 127.0.0.1.
    var port: Int { get }
    /// What serves, for the log line (`io_uring`, `epoll`, `swift-nio`).
    var description: String { get }
    /// The system calls its event loop made so far, or nil when it does not count them.
    func systemCalls() async -> UInt64?
    /// Stops accepting, closes every connection and ends its threads.
    func stop() async throws
}
