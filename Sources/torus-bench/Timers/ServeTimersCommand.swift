import ArgumentParser
import TorusCommandLine

/// `torus-bench serve timers`: one contender of `torus-bench timers` as a process of its
/// own, so the parent measures its CPU and peak memory alone. Prints `ready`, then
/// `result fired=N wall_ms=W late_ms=L`, and exits on SIGTERM.
struct ServeTimersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timers",
        abstract: "Many concurrent sleeps of random lengths; prints `ready`, then one `result` line."
    )

    @OptionGroup var runtime: EngineOption

    @Option(help: "Concurrent sleeps (1...10000000).")
    var count = 100_000

    @Option(help: "Longest sleep in milliseconds, 0...3600000 (each is random in 0...max).")
    var maxMs = 100

    func validate() throws {
        try OptionCheck.integer(count, "--count", in: 1...10_000_000)
        try OptionCheck.integer(maxMs, "--max-ms", in: 0...3_600_000)
    }

    func run() async throws {
        let plan = TimerPlan(count: count, maxMilliseconds: maxMs)
        if let backend = runtime.engine.backend {
            try await TorusTimers.run(plan, backend: backend)
        } else {
            try await NIOTimers.run(plan)
        }
    }
}
