import TorusBenchCharts
import Foundation

/// One `torus-bench file` run of one contender, or its median (`run` nil), and the table
/// of medians.
struct FileRecord: BenchRecord {
    var scenario = "file"
    var contender: String
    var depth: Int
    /// `on` for O_DIRECT, `off` for buffered.
    var direct: String
    var run: Int?
    var iops: Double
    var cpuMicrosPerRead: Double
    /// The blocking-pool threads (torus-epoll, swift-nio); nil where no pool reads.
    var poolThreads: Int?

    var csvFields: [String?] {
        [
            scenario, contender, String(depth), direct, runField, String(iops), String(cpuMicrosPerRead),
            poolThreads.map(String.init),
        ]
    }

    static let csvHeader = "scenario,contender,depth,direct,run,iops,cpu_micros_per_read,pool_threads"

    /// Prints one row per contender's median: IOPS, CPU per read, and both as ratios to
    /// SwiftNIO's and fio's medians (when those ran).
    static func printTable(_ medians: [FileRecord]) {
        let nio = medians.first { $0.contender == Contender.nio.rawValue }
        let fio = medians.first { $0.contender == "fio" }
        print("| contender | pool threads | IOPS | CPU us/read | IOPS vs NIO | IOPS vs fio | CPU vs NIO | CPU vs fio |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for row in medians {
            print(
                String(
                    format: "| %@ | %@ | %.0f | %.2f | %@ | %@ | %@ | %@ |", row.contender,
                    row.poolThreads.map(String.init) ?? "-", row.iops, row.cpuMicrosPerRead,
                    ratioCell(row.iops, nio?.iops),
                    ratioCell(row.iops, fio?.iops), ratioCell(row.cpuMicrosPerRead, nio?.cpuMicrosPerRead),
                    ratioCell(row.cpuMicrosPerRead, fio?.cpuMicrosPerRead)))
        }
    }
}

extension FileRecord: ChartedRecord {
    var bar: Bar {
        Bar(
            scenario: "file", title: "file: random 4 KiB reads", metric: "reads per second (higher is better)",
            axis: "queue depth, mode", group: "depth \(depth), \(direct == "on" ? "O_DIRECT" : "buffered")",
            series: contender, value: iops)
    }
}
