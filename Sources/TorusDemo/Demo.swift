import Torus

/// The three ways the demo fetches the pages.
package enum Client: String, CaseIterable, Sendable {
    /// Blocking sockets, one page after the other (run on a pool thread, off the loop).
    case blocking
    /// Callbacks on the loop, all pages at once.
    case callbacks
    /// async/await on the loop, all pages at once.
    case asyncAwait = "async/await"

    /// Fetches every page from the server on `port`; `loop` runs the non-blocking clients.
    package func fetchAll(port: Int, on loop: EventLoop) async throws -> [Response] {
        switch self {
        case .blocking:
            try await runInPool { try fetchAllBlocking(port: port) }
        case .callbacks:
            try await loop.run {
                try await withPromise { promise in
                    fetchAllWithCallbacks(port: port, on: loop) { try! promise.resolve($0) }
                }
            }
        case .asyncAwait:
            try await loop.run { try await fetchAllAsync(port: port) }
        }
    }
}

/// Runs the demo on `loop`: starts `server` on an ephemeral 127.0.0.1 port, lets each
/// client fetch every page, reporting each page's status line and each client's time,
/// then stops the server. Returns what each client received.
package func runDemo(
    on loop: EventLoop, server: SlowServer = SlowServer(), report: @escaping @Sendable (String) -> Void
) async throws -> [Client: [Response]] {
    try await loop.run {
        let listener = try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: 0)!)
        report("slow server on \(listener.localAddress), \(loop.backend) backend")
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve(listener) }
            var received: [Client: [Response]] = [:]
            for client in Client.allCases {
                let start = ContinuousClock.now
                let responses = try await client.fetchAll(port: listener.localAddress.port, on: loop)
                for response in responses {
                    report(
                        "\(client.rawValue): \(response.path): \(response.statusLine), \(response.bytes.count) bytes")
                }
                report("\(client.rawValue): took \(seconds(ContinuousClock.now - start)) seconds")
                received[client] = responses
            }
            try await listener.close()
            try await group.waitForAll()
            return received
        }
    }
}

/// A duration as seconds with two decimals, e.g. "1.02".
func seconds(_ duration: Duration) -> String {
    let hundredths = (duration / .milliseconds(10)).rounded()
    let whole = Int(hundredths) / 100
    let fraction = Int(hundredths) % 100
    return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
}
