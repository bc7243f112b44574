import ArgumentParser

/// How a Torus echo server runs each connection (`serve echo --connection-api`, `echo
/// --connection-api`).
enum ConnectionAPI: String, ExpressibleByArgument, CaseIterable {
    /// Without a task: ``TCPConnection/serve(with:)`` and an ``EchoHandler``.
    case handler
    /// In a task per connection: ``TCPConnection/receive(timeout:_:)`` and `write`.
    case task
}

extension ServerDescription {
    /// The echo server of `contender` (the echo and connections scenarios): a
    /// `torus-bench serve echo` child for Torus (running connections the `connectionAPI`
    /// way) and SwiftNIO, the C reference program itself for the C servers. Tables name
    /// a task-per-connection Torus server with a `-task` suffix (`torus-io_uring-task`).
    static func echo(_ contender: Contender, connectionAPI: ConnectionAPI = .handler) -> Self {
        switch contender {
        case .torusIOUring, .torusEpoll:
            served(
                "echo", contender,
                name: contender.rawValue + (connectionAPI == .task ? "-task" : ""),
                options: ["--backend", contender.backend!.rawValue, "--connection-api", connectionAPI.rawValue])
        case .nio:
            served("echo", contender, options: ["--server", "nio"])
        case .cLiburing, .cEpoll:
            Self(name: contender.rawValue, contender: contender, reportsStatistics: false) { _ in
                Command(program: .product(contender.rawValue), arguments: ["--port", "0"])
            }
        }
    }
}
