import ArgumentParser

/// `torus-bench`: measures Torus against plain C servers doing the same work.
@main
struct TorusBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torus-bench",
        abstract: "Throughput and CPU cost of Torus, side by side with C reference servers.",
        subcommands: [
            EchoCommand.self, HTTPCommand.self, NopCommand.self, ServeCommand.self, FileCommand.self,
            TimersCommand.self, ConnectionsCommand.self,
        ],
        defaultSubcommand: EchoCommand.self
    )
}
