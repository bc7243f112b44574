import ArgumentParser

/// An echo server the echo scenario measures: a contender and, for the Torus servers,
/// how they run connections. Tables name a task-per-connection Torus server with a
/// `-task` suffix (`torus-io_uring-task`).
struct EchoServer {
    /// How a Torus echo server runs each connection (`serve echo --connection-api`).
    enum ConnectionAPI: String, ExpressibleByArgument, CaseIterable {
        /// Without a task: ``TCPConnection/serve(with:)`` and a ``TorusEcho/Handler``.
        case handler
        /// In a task per connection: ``TCPConnection/receive(timeout:_:)`` and `write`.
        case task
    }

    var contender: Contender
    var connectionAPI = ConnectionAPI.handler

    /// The name its rows carry.
    var name: String {
        contender.backend != nil && connectionAPI == .task ? contender.rawValue + "-task" : contender.rawValue
    }

    /// The program to run, its arguments, and whether it reports statistics (see
    /// ``Contender/echoServer``), with the connection API for a Torus server.
    var command: (product: String, arguments: [String], reportsStatistics: Bool) {
        var command = contender.echoServer
        if contender.backend != nil { command.arguments += ["--connection-api", connectionAPI.rawValue] }
        return command
    }
}
