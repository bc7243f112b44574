import Foundation

extension BarChart {
    /// The file the chart is written to: its scenario, with anything but letters, digits
    /// and `-` as `-`, and `.svg`.
    public var fileName: String {
        String(scenario.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }) + ".svg"
    }

    /// The chart as a standalone SVG document: the title, a value axis from zero with
    /// round ticks, one group of bars per group, each bar proportional to its value with
    /// the value above it, the group names and the axis titles, and a legend of the
    /// series. Every name is escaped.
    public var svg: String {
        let layout = Layout(groups: groups.count, series: series.count)
        let maximum = values.joined().compactMap { $0 }.max() ?? 0
        let step = Self.tickStep(for: maximum)
        let top = max(step, (maximum / step).rounded(.up) * step)
        let scale = Layout.plotHeight / top
        let bottom = Layout.top + Layout.plotHeight
        var lines: [String] = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(layout.width)\" height=\"\(Layout.height)\""
                + " viewBox=\"0 0 \(layout.width) \(Layout.height)\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            text(title, x: Double(layout.width) / 2, y: 24, anchor: "middle", attributes: "font-size=\"16\""),
        ]
        for tick in stride(from: 0, through: top + step / 2, by: step) {
            let y = bottom - tick * scale
            lines.append(Self.line(Layout.left, y, layout.plotRight, y, stroke: "#ddd"))
            lines.append(text(Self.format(tick, step: step), x: Layout.left - 6, y: y + 4, anchor: "end"))
        }
        for (groupIndex, group) in groups.enumerated() {
            let groupLeft = Layout.left + Double(groupIndex) * layout.groupWidth
            let firstBar = groupLeft + (layout.groupWidth - Double(series.count) * Layout.barWidth) / 2
            for (seriesIndex, name) in series.enumerated() {
                guard let value = values[seriesIndex][groupIndex] else { continue }
                let x = firstBar + Double(seriesIndex) * Layout.barWidth
                let height = max(value, 0) * scale
                lines.append(
                    "<rect class=\"bar\" x=\"\(Self.point(x))\" y=\"\(Self.point(bottom - height))\""
                        + " width=\"\(Self.point(Layout.barWidth - 2))\" height=\"\(Self.point(height))\""
                        + " fill=\"\(Self.colour(seriesIndex))\"><title>"
                        + "\(name.xmlEscaped), \(group.xmlEscaped): \(Self.format(value))</title></rect>")
                lines.append(
                    text(
                        Self.format(value), x: x + (Layout.barWidth - 2) / 2, y: bottom - height - 4, anchor: "middle",
                        attributes: "font-size=\"10\""))
            }
            lines.append(text(group, x: groupLeft + layout.groupWidth / 2, y: bottom + 18, anchor: "middle"))
        }
        lines.append(Self.line(Layout.left, bottom, layout.plotRight, bottom, stroke: "#333"))
        lines.append(Self.line(Layout.left, Layout.top, Layout.left, bottom, stroke: "#333"))
        lines.append(text(axis, x: (Layout.left + layout.plotRight) / 2, y: bottom + 44, anchor: "middle"))
        let middle = Layout.top + Layout.plotHeight / 2
        lines.append(
            text(
                metric, x: 18, y: middle, anchor: "middle",
                attributes: "transform=\"rotate(-90 18 \(Self.point(middle)))\""))
        for (index, name) in series.enumerated() {
            let y = Layout.top + Double(index) * 20
            lines.append(
                "<rect x=\"\(Self.point(layout.plotRight + 16))\" y=\"\(Self.point(y))\" width=\"12\" height=\"12\""
                    + " fill=\"\(Self.colour(index))\"/>")
            lines.append(text(name, x: layout.plotRight + 34, y: y + 10, anchor: "start"))
        }
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A `<text>` element of `content`, escaped.
    private func text(_ content: String, x: Double, y: Double, anchor: String, attributes: String = "") -> String {
        "<text x=\"\(Self.point(x))\" y=\"\(Self.point(y))\" text-anchor=\"\(anchor)\""
            + "\(attributes.isEmpty ? "" : " " + attributes)>"
            + "\(content.xmlEscaped)</text>"
    }

    /// A `<line>` element from (`x1`, `y1`) to (`x2`, `y2`).
    private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
        "<line x1=\"\(point(x1))\" y1=\"\(point(y1))\" x2=\"\(point(x2))\" y2=\"\(point(y2))\" stroke=\"\(stroke)\"/>"
    }

    /// A coordinate as the document writes it: two decimals.
    private static func point(_ value: Double) -> String { String(format: "%.2f", value) }

    /// The distance between value-axis ticks: 1, 2 or 5 times a power of ten, about a
    /// fifth of `maximum`.
    static func tickStep(for maximum: Double) -> Double {
        guard maximum > 0, maximum.isFinite else { return 1 }
        let rough = maximum / 5
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let fraction = rough / magnitude
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
    }

    /// A tick as a label: whole numbers while the ticks are (`0`, `5`, `10`), else as a
    /// value.
    static func format(_ tick: Double, step: Double) -> String {
        step >= 1 && tick < 1e4 ? String(format: "%.0f", tick) : format(tick)
    }

    /// A value as a label: at most about five characters (`584k`, `2.35M`, `12.5`, `0.42`).
    static func format(_ value: Double) -> String {
        let magnitude = abs(value)
        return magnitude >= 1e6
            ? String(format: "%.2fM", value / 1e6)
            : magnitude >= 1e4
                ? String(format: "%.0fk", value / 1e3)
                : String(format: magnitude >= 100 ? "%.0f" : magnitude >= 10 ? "%.1f" : "%.2f", value)
    }

    /// The fill of series `index`: eight distinct colours, then again.
    private static func colour(_ index: Int) -> String {
        ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"][index % 8]
    }

    /// Where things go: fixed margins and bar width; the width grows with the groups.
    private struct Layout {
        static let left = 80.0
        static let top = 48.0
        static let plotHeight = 300.0
        static let height = 420
        static let barWidth = 30.0
        static let legendWidth = 190.0
        let groupWidth: Double
        let plotRight: Double
        let width: Int

        init(groups: Int, series: Int) {
            groupWidth = max(Double(series) * Self.barWidth + 30, 130)
            plotRight = Self.left + Double(max(groups, 1)) * groupWidth
            width = Int((plotRight + Self.legendWidth).rounded(.up))
        }
    }
}
