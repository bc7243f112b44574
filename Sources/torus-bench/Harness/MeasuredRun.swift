import Torus

/// One measured run of `load` against `server`: warms up for `warmup` seconds, then
/// measures one window of `duration` (exchanges/s, the server's CPU per exchange, the
/// latency percentiles, and its system calls and allocations when it reports them);
/// stops the load at the end.
func measureRun(_ server: ServerUnderTest, load: LoadGenerator, warmup: Double, duration: Double) async -> LoadResult {
    ProgressLine.running(server.name)
    pauseThread(seconds: warmup)
    let before = server.statistics()
    load.resetLatencies()
    let cpu0 = server.cpuNanoseconds()
    let start = ContinuousClock.now
    pauseThread(seconds: duration)
    let cpu1 = server.cpuNanoseconds()
    let latencies = load.latencySnapshot()
    let elapsed = ContinuousClock.now - start
    let after = server.statistics()
    await load.stop()
    let exchanges = max(1, Int(latencies.totalCount))
    let seconds = elapsed / .seconds(1)
    var systemCallsPerExchange: Double?
    if let before = before?.systemCalls, let after = after?.systemCalls {
        systemCallsPerExchange = Double(after - before) / Double(exchanges)
    }
    return LoadResult(
        exchangesPerSecond: Double(exchanges) / seconds,
        serverCPUMicrosPerExchange: Double(cpu1 - cpu0) / 1000 / Double(exchanges),
        mallocs: after?.mallocs,
        systemCallsPerExchange: systemCallsPerExchange,
        latency: LatencyPercentiles(latencies),
        failures: load.failures.load(ordering: .relaxed))
}
