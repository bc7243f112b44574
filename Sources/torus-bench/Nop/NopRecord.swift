import TorusBenchCharts

/// One `torus-bench nop` measurement of one runtime at one number of tasks in flight,
/// per operation: wall time, the issuing thread's CPU time, and heap allocations (Torus
/// only); or its median (`run` nil).
struct NopRecord: BenchRecord {
    var scenario = "nop"
    /// `torus-io_uring`, `torus-epoll` or `c-liburing-nop`.
    var runtime: String
    var tasks: Int
    var run: Int?
    var nanosecondsPerOperation: Double
    var cpuNanosecondsPerOperation: Double
    var mallocsPerOperation: Double?

    var csvFields: [String?] {
        [
            scenario, runtime, String(tasks), runField, String(nanosecondsPerOperation),
            String(cpuNanosecondsPerOperation), mallocsPerOperation.map { String($0) },
        ]
    }

    static let csvHeader =
        "scenario,runtime,tasks,run,nanoseconds_per_operation,cpu_nanoseconds_per_operation,mallocs_per_operation"
}

extension NopRecord: ChartedRecord {
    var bar: Bar {
        Bar(
            scenario: "nop", title: "nop: one async no-op round trip", metric: "ns per no-op (lower is better)",
            axis: "tasks in flight", group: "\(tasks) task\(tasks == 1 ? "" : "s")", series: runtime,
            value: nanosecondsPerOperation)
    }
}
