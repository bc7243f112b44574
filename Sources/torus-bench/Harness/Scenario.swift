/// A benchmark scenario with its options set: what its subcommand runs once the options
/// are parsed, and what the suite (``SuiteCommand``) builds with settings of its own and
/// runs in memory. It prints its tables as it measures and hands back every figure as
/// values: no scenario knows about the suite, and nothing passes through argv or files.
protocol Scenario {
    /// One row of its report.
    associatedtype Record: ChartedRecord

    /// Measures, printing the scenario's tables; gives `report` the figures so far after
    /// every step (so a long session keeps what it measured), and returns them all.
    func measure(reporting report: (BenchReport<Record>) throws -> Void) async throws -> BenchReport<Record>
}
