import ArgumentParser
import Torus

/// The runtimes the `file` and `timers` scenarios compare, each run by
/// `torus-bench serve file-reader|timers --engine NAME` in a child process of its own.
enum Contender: String, ExpressibleByArgument, CaseIterable {
    case torusIOUring = "torus-io_uring"
    case torusEpoll = "torus-epoll"
    case nio

    /// The Torus reactor, nil for SwiftNIO.
    var backend: Backend? {
        switch self {
        case .torusIOUring: .ioUring
        case .torusEpoll: .epoll
        case .nio: nil
        }
    }
}
