import TorusBenchCharts
import Foundation

/// One `torus-bench connections` run of one server, or its median (`run` nil), and the
/// table of medians.
struct ConnectionRecord: BenchRecord {
    var scenario = "connections"
    var server: String
    /// Idle connections open at the second measurement.
    var connections: Int
    var run: Int?
    /// The server's VmRSS before the first connection and with all of them open.
    var residentBeforeKiB: Int
    var residentAfterKiB: Int

    /// The growth of the server's resident memory per connection.
    var bytesPerConnection: Double {
        Double(residentAfterKiB - residentBeforeKiB) * 1024 / Double(max(connections, 1))
    }

    var csvFields: [String?] {
        [
            scenario, server, String(connections), runField, String(residentBeforeKiB), String(residentAfterKiB),
            String(bytesPerConnection),
        ]
    }

    static let csvHeader =
        "scenario,server,connections,run,resident_before_kib,resident_after_kib,bytes_per_connection"

    /// Prints one row per server's median, with the bytes per connection as ratios to
    /// its C reference's and SwiftNIO's.
    static func printTable(_ medians: [ConnectionRecord]) {
        let perConnection = Dictionary(uniqueKeysWithValues: medians.map { ($0.server, $0.bytesPerConnection) })
        func ratio(_ value: Double, _ reference: Contender?) -> String {
            ratioCell(value, reference.flatMap { perConnection[$0.rawValue] })
        }
        print(
            "| server | connections | RSS before MiB | RSS after MiB | bytes/connection | vs C same design | vs NIO |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for row in medians {
            print(
                String(
                    format: "| %@ | %d | %.1f | %.1f | %.0f | %@ | %@ |", row.server, row.connections,
                    Double(row.residentBeforeKiB) / 1024, Double(row.residentAfterKiB) / 1024, row.bytesPerConnection,
                    ratio(row.bytesPerConnection, Contender(rawValue: row.server)?.reference),
                    ratio(row.bytesPerConnection, .nio)))
        }
    }
}

extension ConnectionRecord: ChartedRecord {
    var bar: Bar {
        Bar(
            scenario: "connections", title: "connections: server memory per idle connection",
            metric: "RSS bytes per connection (lower is better)", axis: "idle connections",
            group: "\(connections) connections", series: server, value: bytesPerConnection)
    }
}
