import TorusBenchCharts
import Foundation

/// One `torus-bench timers` run of one contender, or its median (`run` nil), and the
/// table of medians.
struct TimerRecord: BenchRecord {
    var scenario = "timers"
    var contender: String
    var count: Int
    var maxMilliseconds: Int
    var run: Int?
    /// Sleeps that completed (all of them, unless the runtime lost some).
    var fired: Int
    /// From the start to the last sleep's end.
    var wallMilliseconds: Double
    /// How much later than the longest sleep the last one fired.
    var lateMilliseconds: Double
    /// CPU of all the child's threads over the run.
    var cpuMilliseconds: Double
    /// The child's peak resident memory (VmHWM), setup included.
    var peakResidentKiB: Int

    var csvFields: [String?] {
        [
            scenario, contender, String(count), String(maxMilliseconds), runField, String(fired),
            String(wallMilliseconds), String(lateMilliseconds), String(cpuMilliseconds), String(peakResidentKiB),
        ]
    }

    static let csvHeader =
        "scenario,contender,count,max_milliseconds,run,fired,wall_milliseconds,late_milliseconds,cpu_milliseconds,"
        + "peak_resident_kib"

    /// Prints one row per contender's median, with CPU and peak memory as ratios to
    /// SwiftNIO's.
    static func printTable(_ medians: [TimerRecord]) {
        let nio = medians.first { $0.contender == Contender.nio.rawValue }
        print(
            "| contender | fired | wall ms | last fired late by ms | CPU ms | CPU us/timer | peak RSS MiB | CPU vs NIO | RSS vs NIO |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in medians {
            print(
                String(
                    format: "| %@ | %d | %.1f | %.1f | %.1f | %.2f | %.1f | %@ | %@ |", row.contender, row.fired,
                    row.wallMilliseconds, row.lateMilliseconds, row.cpuMilliseconds,
                    row.cpuMilliseconds * 1000 / Double(row.count), Double(row.peakResidentKiB) / 1024,
                    ratioCell(row.cpuMilliseconds, nio?.cpuMilliseconds),
                    ratioCell(Double(row.peakResidentKiB), nio.map { Double($0.peakResidentKiB) })))
        }
    }
}

extension TimerRecord: ChartedRecord {
    var bar: Bar {
        Bar(
            scenario: "timers", title: "timers: CPU for concurrent sleeps", metric: "CPU ms (lower is better)",
            axis: "concurrent sleeps", group: "\(count) sleeps of 0-\(maxMilliseconds) ms", series: contender,
            value: cpuMilliseconds)
    }
}
