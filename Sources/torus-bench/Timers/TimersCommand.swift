import ArgumentParser
import TorusCommandLine
import Foundation

/// `torus-bench timers`: many concurrent sleeps of random lengths on Torus io_uring,
/// Torus epoll and SwiftNIO, each in a child process of its own: how late the last one
/// fires, the CPU it all takes, and the peak memory.
struct TimersCommand: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "timers",
        abstract: "Concurrent sleeps: lateness, CPU and peak RSS, Torus vs SwiftNIO."
    )

    @Option(help: "Concurrent sleeps per run (1...10000000).")
    var count = 100_000

    @Option(help: "Longest sleep in milliseconds, 0...3600000 (each is random in 0...max).")
    var maxMs = 100

    @OptionGroup var interleaved: InterleavedRuns

    @OptionGroup var report: ReportOptions

    func validate() throws {
        try OptionCheck.integer(count, "--count", in: 1...10_000_000)
        try OptionCheck.integer(maxMs, "--max-ms", in: 0...3_600_000)
    }

    func run() async throws {
        _ = try await measure(reporting: report.write)
    }

    func measure(reporting report: (BenchReport<TimerRecord>) throws -> Void) async throws -> BenchReport<TimerRecord> {
        let runs = try await interleaved.measure(Contender.runtimes, measure) { contender, record in
            String(
                format: "%@: %d fired, last %.1f ms late, %.1f ms CPU, peak RSS %d KiB", contender.rawValue,
                record.fired, record.lateMilliseconds, record.cpuMilliseconds, record.peakResidentKiB)
        }
        var records = BenchReport<TimerRecord>()
        for contenderRuns in runs { records.add(contenderRuns, medianBy: \.lateMilliseconds) }
        try report(records)
        print()
        print(
            "timers: \(count) concurrent sleeps of random 0-\(maxMs) ms, x \(interleaved.repeats) (median by lateness);"
                + " Torus: a task per sleep awaiting loop.sleep(until:), SwiftNIO: EventLoop.scheduleTask(deadline:)")
        TimerRecord.printTable(records.medians)
        return records
    }

    /// One run of `contender` in a `serve timers` child.
    private func measure(_ contender: Contender) throws -> TimerRecord {
        let child = try ScenarioChild([
            "serve", "timers", "--engine", contender.rawValue, "--count", String(count), "--max-ms", String(maxMs),
        ])
        return TimerRecord(
            contender: contender.rawValue, count: count, maxMilliseconds: maxMs, fired: Int(try child.number("fired")),
            wallMilliseconds: try child.number("wall_ms"), lateMilliseconds: try child.number("late_ms"),
            cpuMilliseconds: Double(child.cpuNanoseconds) / 1e6, peakResidentKiB: child.peakResidentKiB)
    }
}
