import Torus

/// The echo servers `torus-bench echo` measures, named as its tables print them.
enum EchoServerName: String, CaseIterable {
    case torusIOUring = "torus-io_uring"
    case cLiburing = "c-liburing-echo"
    case torusEpoll = "torus-epoll"
    case cEpoll = "c-epoll-echo"
    case nio = "swift-nio"

    /// The Torus server on `backend`.
    static func torus(_ backend: Backend) -> Self {
        backend == .epoll ? .torusEpoll : .torusIOUring
    }

    /// The C reference server of the same design: the practical limit of that design
    /// (SwiftNIO is a selector design, on epoll).
    var reference: Self {
        switch self {
        case .torusIOUring, .cLiburing: .cLiburing
        case .torusEpoll, .cEpoll, .nio: .cEpoll
        }
    }

    /// The program to run (built into this executable's directory), its arguments, and
    /// whether it answers SIGUSR1 with a `statistics` line (the C references do not).
    var command: (program: String, arguments: [String], reportsStatistics: Bool) {
        switch self {
        case .torusIOUring: ("torus-bench", ["serve", "echo", "--backend", "io_uring", "--port", "0"], true)
        case .torusEpoll: ("torus-bench", ["serve", "echo", "--backend", "epoll", "--port", "0"], true)
        case .nio: ("torus-bench", ["serve", "echo", "--server", "nio", "--port", "0"], true)
        case .cLiburing, .cEpoll: (rawValue, ["--port", "0"], false)
        }
    }
}
