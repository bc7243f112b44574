import TorusTestSupport
import ArgumentParser
import TorusCommandLine
import Torus

/// The options of the load scenarios (echo, http): how long each run warms up and
/// measures, how many runs, and whether client and server are pinned; and the client
/// loop they drive the load from.
struct LoadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Measured seconds per run (more than 0, at most 86400).")
    var duration = 5.0

    @Option(parsing: .unconditional, help: "Warm-up seconds before each measured run (0...86400).")
    var warmup = 1.0

    @OptionGroup var interleaved: InterleavedRuns

    @Flag(help: "Let the scheduler place the client and the server (default: one core each).")
    var noPinning = false

    func validate() throws {
        try OptionCheck.seconds(duration, "--duration")
        try OptionCheck.seconds(warmup, "--warmup", zeroAllowed: true)
    }

    /// Runs per server (`--repeats`).
    var repeats: Int { interleaved.repeats }

    /// Raises the open-file limit and starts the load generator's io_uring loop, pinned
    /// to ``CPUPinning/clientCPU`` unless `--no-pinning` (or one core); returns it and
    /// whether the servers are to be pinned.
    func startClient() async throws -> (loop: EventLoop, pin: Bool) {
        ResourceLimits.raiseOpenFiles()
        var configuration = EventLoop.Configuration()
        configuration.threadName = "torus-client"
        configuration.backend = .ioUring
        let client = try EventLoop(configuration: configuration)
        let pin = !noPinning && CPUPinning.isAvailable
        if pin { _ = try await client.run { CPUPinning.pinCurrentThread(to: CPUPinning.clientCPU) } }
        return (client, pin)
    }
}
