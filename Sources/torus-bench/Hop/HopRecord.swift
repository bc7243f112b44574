import TorusBenchCharts

/// One `torus-bench hop` measurement of one contender: cross-loop round trips per
/// second's inverse (wall ns per round trip), the whole process's CPU per round trip,
/// and heap allocations per round trip; or its median (`run` nil).
struct HopRecord: BenchRecord {
    var scenario = "hop"
    /// `torus-io_uring`, `torus-epoll`, `swift-nio-actor`, `swift-nio-futures` or `task`.
    var contender: String
    var run: Int?
    /// The round trips measured (fewer than asked when the time bound cut the run short).
    var roundTrips: Int
    var nanosecondsPerRoundTrip: Double
    var cpuNanosecondsPerRoundTrip: Double
    var mallocsPerRoundTrip: Double

    var csvFields: [String?] {
        [
            scenario, contender, runField, String(roundTrips), String(nanosecondsPerRoundTrip),
            String(cpuNanosecondsPerRoundTrip), String(mallocsPerRoundTrip),
        ]
    }

    static let csvHeader =
        "scenario,contender,run,round_trips,nanoseconds_per_round_trip,cpu_nanoseconds_per_round_trip,"
        + "mallocs_per_round_trip"
}

extension HopRecord: ChartedRecord {
    var bar: Bar {
        Bar(
            scenario: "hop", title: "hop: one cross-loop round trip", metric: "ns per round trip (lower is better)",
            axis: "contender", group: "2 loops", series: contender, value: nanosecondsPerRoundTrip)
    }
}
