import TorusTestSupport
import ArgumentParser
import TorusCommandLine
import Foundation
import Torus

/// `torus-bench nop`: the runtime's own cost of one async operation round trip, side by
/// side with C doing the same through liburing (`Benchmarks/CLiburingNop`).
struct NopCommand: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "nop",
        abstract: "Async no-op round trips: ns per op and mallocs per op, Torus vs C liburing."
    )

    @Option(
        help: ArgumentHelp(
            "Concurrent tasks issuing no-ops, 1...256; the C reference keeps as many in flight"
                + " (repeat the option for several; default: 1 and 64)."))
    var tasks: [Int] = [1, 64]

    @Option(help: "No-ops per measurement (at least --tasks, at most 1000000000), split among the tasks.")
    var operations = 2_000_000

    @Option(help: "Reactor: io_uring, epoll (where a no-op completes without a system call) or automatic.")
    var backend: Backend = .automatic

    @OptionGroup var report: ReportOptions

    func validate() throws {
        try OptionCheck.integers(tasks, "--tasks", in: 1...256)
        try OptionCheck.integer(operations, "--operations", in: 1...1_000_000_000)
        guard tasks.allSatisfy({ operations >= $0 }) else {
            throw ValidationError("--operations must be at least --tasks")
        }
    }

    func run() async throws {
        _ = try await measure(reporting: report.write)
    }

    func measure(reporting report: (BenchReport<NopRecord>) throws -> Void) async throws -> BenchReport<NopRecord> {
        var configuration = EventLoop.Configuration()
        configuration.backend = backend
        let rows = try await withEventLoop(configuration: configuration) { loop in
            let runtime = "torus-\(loop.backend)"
            var rows: [(torus: NopRecord, c: NopRecord)] = []
            for taskCount in tasks {
                ProgressLine.running(runtime)
                let torus = try await Self.measure(
                    runtime, loop: loop, tasks: taskCount, operations: operations / taskCount)
                ProgressLine.running(Self.cProgram)
                let c = try Self.measureC(inFlight: taskCount, operations: operations / taskCount * taskCount)
                rows.append((torus, c))
            }
            return rows
        }
        var records = BenchReport<NopRecord>()
        for row in rows {
            records.add([row.torus], median: row.torus)
            records.add([row.c], median: row.c)
        }
        try report(records)
        print(
            "| tasks in flight | \(rows[0].torus.runtime) ns/op | loop CPU ns/op | mallocs/op | \(Self.cProgram) ns/op"
                + " | C CPU ns/op | vs C |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for (torus, c) in rows {
            let mallocs = torus.mallocsPerOperation.map { String(format: "%.2f", $0) } ?? "-"
            print(
                String(
                    format: "| %d | %.0f | %.0f | %@ | %.0f | %.0f | %@ |", torus.tasks, torus.nanosecondsPerOperation,
                    torus.cpuNanosecondsPerOperation, mallocs, c.nanosecondsPerOperation, c.cpuNanosecondsPerOperation,
                    ratioCell(torus.nanosecondsPerOperation, c.nanosecondsPerOperation)))
        }
        return records
    }

    /// The C reference: no-ops through liburing (`Benchmarks/CLiburingNop`).
    private static let cProgram = "c-liburing-nop"

    /// `tasks` pinned tasks each awaiting `operations` no-ops on `loop`, after a tenth of
    /// that as warm-up.
    private static func measure(_ runtime: String, loop: EventLoop, tasks: Int, operations: Int) async throws
        -> NopRecord
    {
        try await spin(loop: loop, tasks: tasks, operations: operations / 10)
        AllocationCounter.start()
        let cpu0 = loop.threadCPUNanoseconds
        let start = ContinuousClock.now
        try await spin(loop: loop, tasks: tasks, operations: operations)
        let elapsed = ContinuousClock.now - start
        let cpu = loop.threadCPUNanoseconds - cpu0
        let mallocs = AllocationCounter.stop()
        let total = Double(tasks * operations)
        let nanoseconds = elapsed / .nanoseconds(1)
        return NopRecord(
            runtime: runtime, tasks: tasks, nanosecondsPerOperation: nanoseconds / total,
            cpuNanosecondsPerOperation: Double(cpu) / total, mallocsPerOperation: Double(mallocs) / total)
    }

    private static func spin(loop: EventLoop, tasks: Int, operations: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    // Each task on the loop's `run`, as a server runs a connection's task.
                    try await loop.run {
                        for _ in 0..<operations { try await loop.nop() }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Runs `c-liburing-nop` and reads its one result line.
    private static func measureC(inFlight: Int, operations: Int) throws -> NopRecord {
        let program = cProgram
        let child = try ChildProcess(
            product: program, arguments: ["--operations", String(operations), "--in-flight", String(inFlight)])
        let line = child.readLine() ?? ""
        let status = child.exitStatus()
        guard status == 0 else { throw BenchError.serverFailed(program, status) }
        let fields = line.keyValueFields
        guard let wall = fields["wall_ns_per_op"].flatMap({ Double($0) }),
            let cpu = fields["cpu_ns_per_op"].flatMap({ Double($0) })
        else { throw BenchError.unexpectedOutput(program, line) }
        return NopRecord(
            runtime: program, tasks: inFlight, nanosecondsPerOperation: wall, cpuNanosecondsPerOperation: cpu)
    }
}
