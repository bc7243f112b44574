import ArgumentParser
import Torus

/// The runtimes and reference servers the scenarios compare, named as their tables and
/// reports print them: the Torus reactors, SwiftNIO, and the C echo servers of each
/// design. The runtimes (``runtimes``) are also what `serve file-reader|timers --engine`
/// runs in a child process of its own.
enum Contender: String, CaseIterable {
    case torusIOUring = "torus-io_uring"
    case cLiburing = "c-liburing-echo"
    case torusEpoll = "torus-epoll"
    case cEpoll = "c-epoll-echo"
    case nio = "swift-nio"

    /// The runtimes the file and timers scenarios compare (the C servers only echo).
    static let runtimes: [Self] = [.torusIOUring, .torusEpoll, .nio]

    /// The Torus server on `backend`.
    static func torus(_ backend: Backend) -> Self {
        backend == .epoll ? .torusEpoll : .torusIOUring
    }

    /// The Torus reactor, nil for SwiftNIO and the C servers.
    var backend: Backend? {
        switch self {
        case .torusIOUring: .ioUring
        case .torusEpoll: .epoll
        case .cLiburing, .cEpoll, .nio: nil
        }
    }

    /// The C reference server of the same design: the practical limit of that design
    /// (SwiftNIO is a selector design, on epoll).
    var reference: Self {
        switch self {
        case .torusIOUring, .cLiburing: .cLiburing
        case .torusEpoll, .cEpoll, .nio: .cEpoll
        }
    }
}

/// `--engine`: one of the ``Contender/runtimes``.
extension Contender: ExpressibleByArgument {
    init?(argument: String) {
        guard let runtime = Self(rawValue: argument), Self.runtimes.contains(runtime) else { return nil }
        self = runtime
    }

    static var allValueStrings: [String] { runtimes.map(\.rawValue) }
}

/// `--engine`, the runtime a `serve file-reader|timers` child runs one measured run on
/// (``ScenarioChild``).
struct EngineOption: ParsableArguments {
    @Option(help: "Runtime: torus-io_uring, torus-epoll or swift-nio.")
    var engine: Contender
}
