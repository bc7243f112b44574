import ArgumentParser
import Torus

extension Backend: ExpressibleByArgument {}

/// `--backend` for the benchmarks: one reactor, or both side by side.
enum BackendSelection: String, ExpressibleByArgument, CaseIterable {
    case ioUring = "io_uring"
    case epoll
    case both

    /// The reactors to measure.
    var backends: [Backend] {
        switch self {
        case .ioUring: [.ioUring]
        case .epoll: [.epoll]
        case .both: [.ioUring, .epoll]
        }
    }
}
