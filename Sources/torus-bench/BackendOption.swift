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

extension Backend {
    /// The C reference server of the same design (Benchmarks/).
    var referenceServer: String {
        self == .epoll ? "c-epoll-echo" : "c-liburing-echo"
    }
}
