import ArgumentParser
import Torus
import TorusCommandLine
import TorusDemo

extension Backend: ExpressibleByArgument {}

/// `torus-demo`: the talk's demo. A slow HTTP server streams /foo and /bar over about a
/// second each; blocking sockets fetch them in about two seconds, callbacks and
/// async/await on one event loop in about one.
@main
struct TorusDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torus-demo",
        abstract: "Fetch two slow pages three ways: blocking, callbacks, async/await."
    )

    /// Parses and runs with SIGPIPE ignored: a closed stdout fails a write, not the process.
    static func main() async { await mainIgnoringBrokenPipes() }

    @Option(help: "The reactor: io_uring, epoll or automatic.")
    var backend: Backend = .automatic

    func run() async throws {
        var configuration = EventLoop.Configuration()
        configuration.backend = backend
        configuration.threadName = "torus-demo"
        _ = try await withEventLoop(configuration: configuration) { loop in
            try await runDemo(on: loop) { print($0) }
        }
    }
}
