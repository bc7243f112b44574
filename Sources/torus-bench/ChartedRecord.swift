import TorusBenchCharts

/// A record that a chart can show: the bar a scenario's median draws (`--report`). The
/// metric is the one the scenario's table compares by.
protocol ChartedRecord: BenchRecord {
    /// This record as a bar: its series (server, runtime), its group (the scenario's
    /// axis: connections, depth, tasks) and its value.
    var bar: Bar { get }
}

extension EchoRecord: ChartedRecord {
    var bar: Bar {
        Bar(
            scenario: "echo", title: "echo: server CPU per round trip",
            metric: "server CPU us per round trip (lower is better)", axis: "connections, message size",
            group: "\(connections) conn, \(size % 1024 == 0 ? "\(size / 1024) KiB" : "\(size) B")", series: server,
            value: serverCPUMicrosPerRoundTrip)
    }
}

extension HTTPRecord: ChartedRecord {
    var bar: Bar {
        Bar(
            scenario: "http", title: "http plaintext: server CPU per request",
            metric: "server CPU us per request (lower is better)", axis: "keep-alive connections",
            group: "\(connections) conn", series: client == "torus" ? server : "\(server) (\(client))",
            value: serverCPUMicrosPerRequest)
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

extension TimerRecord: ChartedRecord {
    var bar: Bar {
        Bar(
            scenario: "timers", title: "timers: CPU for concurrent sleeps", metric: "CPU ms (lower is better)",
            axis: "concurrent sleeps", group: "\(count) sleeps of 0-\(maxMilliseconds) ms", series: contender,
            value: cpuMilliseconds)
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

extension NopRecord: ChartedRecord {
    var bar: Bar {
        Bar(
            scenario: "nop", title: "nop: one async no-op round trip", metric: "ns per no-op (lower is better)",
            axis: "tasks in flight", group: "\(tasks) task\(tasks == 1 ? "" : "s")", series: runtime,
            value: nanosecondsPerOperation)
    }
}
