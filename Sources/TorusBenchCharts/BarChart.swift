/// Grouped bars of one scenario: for every group (a point on the scenario's axis), one
/// bar per series, each series in its own colour. ``svg`` draws it.
public struct BarChart: Sendable, Equatable {
    /// The scenario charted; also the file name (``fileName``).
    public var scenario: String
    /// The title: the scenario and what is measured.
    public var title: String
    /// The value axis: the metric, its unit, and which way is better.
    public var metric: String
    /// The category axis: what the groups are.
    public var axis: String
    /// The groups, in the order their first bar came.
    public var groups: [String]
    /// The series, in the order their first bar came.
    public var series: [String]
    /// `values[series][group]`: nil where that series has no bar in that group.
    public var values: [[Double?]]

    /// The charts of `bars`, one per scenario in the order the scenarios first appear; a
    /// later bar of the same scenario, group and series replaces an earlier one (a
    /// scenario's report is rewritten as it grows).
    public static func charts(of bars: [Bar]) -> [BarChart] {
        var charts: [BarChart] = []
        for bar in bars {
            if let index = charts.firstIndex(where: { $0.scenario == bar.scenario }) {
                charts[index].add(bar)
            } else {
                var chart = BarChart(
                    scenario: bar.scenario, title: bar.title, metric: bar.metric, axis: bar.axis, groups: [],
                    series: [], values: [])
                chart.add(bar)
                charts.append(chart)
            }
        }
        return charts
    }

    /// Puts `bar` in its series and group, adding either when new.
    private mutating func add(_ bar: Bar) {
        if !groups.contains(bar.group) {
            groups.append(bar.group)
            for index in values.indices { values[index].append(nil) }
        }
        if !series.contains(bar.series) {
            series.append(bar.series)
            values.append([Double?](repeating: nil, count: groups.count))
        }
        values[series.firstIndex(of: bar.series)!][groups.firstIndex(of: bar.group)!] = bar.value
    }
}
