import ArgumentParser
import TorusCommandLine

/// `torus-bench`: measures Torus against plain C servers and SwiftNIO doing the same
/// work; with no subcommand, every scenario in a few minutes (``SuiteCommand``).
@main
struct TorusBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torus-bench",
        abstract: "Throughput and CPU cost of Torus, side by side with C reference servers.",
        subcommands: [
            SuiteCommand.self, EchoCommand.self, HTTPCommand.self, NopCommand.self, ServeCommand.self, FileCommand.self,
            TimersCommand.self, ConnectionsCommand.self, SoakCommand.self, HopCommand.self,
        ],
        defaultSubcommand: SuiteCommand.self
    )

    /// Parses and runs with SIGPIPE ignored: a closed stdout fails a write, not the process.
    static func main() async { await mainIgnoringBrokenPipes() }
}
