import Torus

/// One server a soak runs on one reactor, and the clients that fit it: the echo server
/// with connections served by a handler and with a task per connection (`torus-bench
/// serve echo --connection-api handler|task`), and the HTTP server users get, TorusHTTP's
/// `HTTPServer` (`torus-bench serve http`).
struct SoakTarget {
    /// How the server is started.
    var server: ServerDescription
    /// A client session for it, its random choices drawn from `seed`.
    var makeSession: @Sendable (_ seed: UInt64) -> any SoakSession

    /// The soak's servers on `backend`, named `torus-<reactor>`, `torus-<reactor>-task`
    /// and `torus-<reactor>-http`.
    static func all(on backend: Backend) -> [Self] {
        let contender = Contender.torus(backend)
        return [
            Self(server: .echo(contender, connectionAPI: .handler)) { SoakEchoSession(seed: $0) },
            Self(server: .echo(contender, connectionAPI: .task)) { SoakEchoSession(seed: $0) },
            Self(
                server: .served(
                    "http", contender, name: contender.rawValue + "-http",
                    options: ["--backend", backend.rawValue])
            ) { _ in SoakHTTPSession() },
        ]
    }
}
