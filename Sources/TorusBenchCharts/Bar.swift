/// One measured figure as a chart draws it: the value of one series (a server, a
/// runtime) in one group (a point on the scenario's axis: a connection count, a queue
/// depth), on the chart of `scenario`.
public struct Bar: Sendable, Equatable {
    /// The scenario the chart belongs to; also its file name (`echo.svg`).
    public var scenario: String
    /// The chart's title: the scenario and what is measured.
    public var title: String
    /// The value axis: the metric and its unit, and which way is better.
    public var metric: String
    /// The category axis: what the groups are.
    public var axis: String
    /// The group (a point on `axis`) this bar stands in.
    public var group: String
    /// The series (the legend entry) this bar is one of.
    public var series: String
    /// The measured figure, in the unit of `metric`.
    public var value: Double

    /// A bar of `value` for `series` in `group` on the chart of `scenario`.
    public init(
        scenario: String, title: String, metric: String, axis: String, group: String, series: String, value: Double
    ) {
        self.scenario = scenario
        self.title = title
        self.metric = metric
        self.axis = axis
        self.group = group
        self.series = series
        self.value = value
    }
}
