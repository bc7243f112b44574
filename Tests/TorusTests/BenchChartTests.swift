import Foundation
import FoundationXML
import Testing
import TorusBenchCharts

/// The charts `torus-bench --report DIR` writes: well-formed SVG, bars proportional to
/// their values, every name escaped, and an index that links every chart.
@Suite(.descriptorGate) struct BenchChartTests {
    /// Two groups of two series; `swift-nio` has no bar in the second group.
    private let bars = [
        bar(group: "64 conn", series: "torus-io_uring", value: 5),
        bar(group: "64 conn", series: "swift-nio", value: 10),
        bar(group: "512 conn", series: "torus-io_uring", value: 2.5),
    ]

    @Test func barsAreProportionalToTheirValues() throws {
        let charts = BarChart.charts(of: bars)
        #expect(charts.count == 1)
        let chart = try #require(charts.first)
        #expect(chart.groups == ["64 conn", "512 conn"])
        #expect(chart.series == ["torus-io_uring", "swift-nio"])
        #expect(chart.values == [[5, 2.5], [10, nil]])
        let heights = try barHeights(chart.svg)
        #expect(heights.count == 3)
        #expect(abs(heights[0] / heights[1] - 0.5) < 1e-3)
        #expect(abs(heights[2] / heights[1] - 0.25) < 1e-3)
        try expectWellFormed(chart.svg)
    }

    @Test func aLaterBarReplacesTheEarlierOneOfItsSeriesAndGroup() throws {
        let chart = try #require(
            BarChart.charts(of: bars + [bar(group: "64 conn", series: "swift-nio", value: 7)]).first)
        #expect(chart.values == [[5, 2.5], [7, nil]])
    }

    @Test func namesAreEscaped() throws {
        let hostile = #"<b>&"nio's"</b>"#
        let chart = try #require(BarChart.charts(of: [bar(group: "a<b", series: hostile, value: 1)]).first)
        #expect(!chart.svg.contains("<b>"))
        #expect(chart.svg.contains("&lt;b&gt;&amp;&quot;nio&apos;s&quot;&lt;/b&gt;"))
        try expectWellFormed(chart.svg)
        let index = ChartReport.index([chart], heading: "x & y", note: "<note>")
        #expect(index.contains("<h1>x &amp; y</h1>"))
        #expect(index.contains("<p>&lt;note&gt;</p>"))
    }

    @Test func theReportDirectoryHasEveryChartAndAnIndexLinkingThem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("torus-charts-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var other = bar(group: "depth 32", series: "fio", value: 3)
        other.scenario = "file"
        let charts = BarChart.charts(of: bars + [other])
        try ChartReport.write(charts, heading: "torus-bench", note: "test", to: directory.path)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files == ["echo.svg", "file.svg", "index.html"])
        let index = try String(contentsOf: directory.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("<a href=\"echo.svg\">") && index.contains("<img src=\"file.svg\""))
        try expectWellFormed(String(contentsOf: directory.appendingPathComponent("file.svg"), encoding: .utf8))
    }

    @Test func anEmptyOrZeroChartStillDraws() throws {
        let chart = try #require(BarChart.charts(of: [bar(group: "g", series: "s", value: 0)]).first)
        #expect(try barHeights(chart.svg) == [0])
        try expectWellFormed(chart.svg)
    }
}

/// A bar of the echo chart.
private func bar(group: String, series: String, value: Double) -> Bar {
    Bar(
        scenario: "echo", title: "echo: server CPU", metric: "us per round trip", axis: "connections", group: group,
        series: series, value: value)
}

/// The `height` of every `class="bar"` rectangle, in document order.
private func barHeights(_ svg: String) throws -> [Double] {
    try svg.split(separator: "\n").filter { $0.hasPrefix("<rect class=\"bar\"") }.map { line in
        let start = try #require(line.range(of: " height=\"")).upperBound
        return try #require(Double(line[start...].prefix { $0 != "\"" }))
    }
}

/// Parses `text` as XML; records an issue when it is not well-formed.
private func expectWellFormed(_ text: String) throws {
    let parser = XMLParser(data: Data(text.utf8))
    #expect(parser.parse(), "\(String(describing: parser.parserError))")
}
