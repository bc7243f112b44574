import TorusBenchCharts

/// A record that a chart can show: the bar a scenario's median draws (`--report`). The
/// metric is the one the scenario's table compares by.
protocol ChartedRecord: BenchRecord {
    /// This record as a bar: its series (server, runtime), its group (the scenario's
    /// axis: connections, depth, tasks) and its value.
    var bar: Bar { get }
}
