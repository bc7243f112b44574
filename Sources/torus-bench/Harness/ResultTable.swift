import Foundation

/// The markdown table a `torus-bench` load scenario (echo, http) prints for one
/// (connections, size) pair.
enum ResultTable {
    /// A ratio column: its title, and the server whose median a row is divided by (nil:
    /// none for that row).
    typealias Reference = (title: String, server: @Sendable (String) -> String?)

    /// A column describing the server, after its name: its title, and each row's cell.
    typealias Label = (title: String, cell: (String) -> String)

    /// Prints one row per server: the median run (`[LoadResult].median`, with the most
    /// allocations any run's window saw), the spread of the server's CPU per exchange
    /// (`unit`: `rt`, `req`; `rate` titles the exchanges/s column) over all runs, the
    /// median's ratio to each reference's (when that server ran), and the median run's
    /// latency percentiles. `labels` add columns after the server's name (none by
    /// default).
    static func print(
        _ rows: [(server: String, runs: [LoadResult])], rate: String, unit: String, references: [Reference],
        labels: [Label] = []
    ) {
        let medians = Dictionary(uniqueKeysWithValues: rows.map { ($0.server, $0.runs.median) })
        func ratio(_ result: LoadResult, to server: String?) -> String {
            ratioCell(result.serverCPUMicrosPerExchange, server.flatMap { medians[$0] }?.serverCPUMicrosPerExchange)
        }
        let titles = references.map { " | \($0.title)" }.joined()
        let labelTitles = labels.map { " \($0.title) |" }.joined()
        Swift.print(
            "| server |\(labelTitles) \(rate) | server CPU us/\(unit) | min-max over runs\(titles)"
                + " | p50 us | p99 us | p99.9 us | syscalls/\(unit) | server mallocs (window) |")
        Swift.print(
            "|---|" + String(repeating: "---|", count: labels.count) + "---:|---:|---:|"
                + String(repeating: "---:|", count: references.count + 5))
        for row in rows {
            let result = medians[row.server]!
            let cpu = row.runs.map(\.serverCPUMicrosPerExchange)
            let calls = result.systemCallsPerExchange.map { String(format: "%.2f", $0) } ?? "-"
            let ratios = references.map { " | " + ratio(result, to: $0.server(row.server)) }.joined()
            let cells = labels.map { " \($0.cell(row.server)) |" }.joined()
            Swift.print(
                String(
                    format: "| %@ |%@ %.0f | %.3f | %.2f-%.2f%@ | %.1f | %.1f | %.1f | %@ | %@ |",
                    row.server, cells, result.exchangesPerSecond, result.serverCPUMicrosPerExchange, cpu.min()!,
                    cpu.max()!,
                    ratios, result.latency.p50, result.latency.p99, result.latency.p999, calls,
                    result.mallocs.map(String.init) ?? "-"))
        }
    }
}
