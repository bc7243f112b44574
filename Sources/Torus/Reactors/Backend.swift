import Glibc

/// Which reactor an ``EventLoop`` runs on.
public enum Backend: String, Sendable, CaseIterable, CustomStringConvertible {
    /// io_uring: submit operations, reap completions.
    case ioUring = "io_uring"
    /// epoll: wait for readiness, then make non-blocking calls.
    case epoll
    /// io_uring when this process can use it, else epoll (with one log line saying why).
    case automatic

    /// The name `TORUS_BACKEND` and `--backend` accept.
    public var description: String { rawValue }

    /// The environment variable that overrides the configured backend.
    public static let environmentVariable = "TORUS_BACKEND"

    /// The concrete backend (`.ioUring` or `.epoll`) a loop configured with `self` gets.
    ///
    /// `TORUS_BACKEND=io_uring|epoll` overrides the configuration. `.automatic` probes
    /// io_uring once per process and falls back to epoll when it is unavailable.
    /// - Throws: `.eventLoop` with `.ioUringUnavailable` when io_uring is asked for
    ///   explicitly and cannot be used; `.invalidArgument` for a bad `TORUS_BACKEND`.
    public func resolved() throws(TorusError) -> Backend {
        var requested = self
        if let value = getenv(Self.environmentVariable).map({ String(cString: $0) }), !value.isEmpty {
            guard let override = Backend(rawValue: value) else {
                throw TorusError(
                    .eventLoop,
                    .invalidArgument("\(Self.environmentVariable)=\(value): expected io_uring, epoll or automatic"))
            }
            requested = override
        }
        switch requested {
        case .epoll:
            return .epoll
        case .ioUring:
            if let reason = IOUringProbe.unavailability { throw TorusError(.eventLoop, .ioUringUnavailable(reason)) }
            return .ioUring
        case .automatic:
            guard let reason = IOUringProbe.unavailability else { return .ioUring }
            IOUringProbe.logFallback(reason)
            return .epoll
        }
    }
}
