import ArgumentParser
import Torus

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

    /// This torus-bench server on `loops` event loops (SwiftNIO: threads) instead of one;
    /// a Torus server spreads connections as `sharding` says, with each loop on a CPU of
    /// its own when `pinned`. The name gains ` x<loops>` and the sharding
    /// (`torus-io_uring x2 handoff`, `swift-nio x2`; ` pinned` before them); one unpinned loop changes nothing.
    func on(loops: Int, sharding: ShardedListener.Sharding, pinned: Bool) -> Self {
        guard loops > 1 || pinned else { return self }
        let isTorus = contender?.backend != nil
        var served = self
        served.loops = loops
        served.sharding = isTorus && loops > 1 ? sharding : nil
        served.name += pinned && isTorus ? " pinned" : ""
        served.name += loops > 1 ? " x\(loops)" + (served.sharding.map { " \($0.rawValue)" } ?? "") : ""
        var options = ["--loops", String(loops)]
        if let sharding = served.sharding { options += ["--sharding", sharding.rawValue] }
        if pinned && isTorus { options.append("--pin-loops") }
        served.command = { [command] connections in
            var start = try command(connections)
            start.arguments += options
            return start
        }
        return served
    }
}
