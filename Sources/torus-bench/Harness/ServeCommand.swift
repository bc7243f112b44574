import ArgumentParser

/// `torus-bench serve`: runs a server under test until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a benchmark scenario on 127.0.0.1 until SIGINT/SIGTERM.",
        subcommands: [
            ServeEchoCommand.self, ServeHTTPCommand.self, ServeFileReaderCommand.self, ServeTimersCommand.self,
        ]
    )
}
