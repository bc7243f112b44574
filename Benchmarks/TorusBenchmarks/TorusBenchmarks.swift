import Benchmark
import Torus

// Microbenchmarks of the runtime's own costs, each run by a task pinned to a loop: an
// uncontended Lock acquire+release and a Queue put+get with room and items (neither may
// allocate), a nop round trip through each reactor, a `sleep(for: .zero)` on each
// (a deadline already passed: it returns without suspending or a system call), and a
// 64-byte echo round trip over loopback TCP on each, to a connection served by a
// handler (``EchoPair``).
//
//     swift package benchmark --target TorusBenchmarks
//     swift package benchmark thresholds check --target TorusBenchmarks --path Benchmarks/Thresholds
//
// Each benchmark runs twice: `<name>` measures wall clock and CPU time, `<name>.mallocs`
// counts allocations alone, because the CPU-time probe itself allocates inside the
// measured window (16-18 mallocs per sample). Benchmarks/Thresholds allows 0 mallocs at
// p90 for every `.mallocs` benchmark; with the strict tolerance below, one allocation
// more fails the check (a non-zero exit).

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        maxIterations: 1_000
    )
    var counted = Benchmark.defaultConfiguration
    counted.metrics = [.mallocCountTotal]
    counted.thresholds = [.mallocCountTotal: .strict]

    /// Runs `body` once per scaled iteration in a task pinned to `loop`, measuring only
    /// the iterations: not the hop onto the loop and back, nor a first call that grows
    /// the new task's allocator (each sample runs in a new task).
    func onLoop(_ loop: EventLoop, _ benchmark: Benchmark, _ body: () async throws -> Void) async throws {
        try await withTaskExecutorPreference(loop) {
            try await body()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { try await body() }
            benchmark.stopMeasurement()
        }
    }

    /// Registers `body` as `name` (timed) and `name.mallocs` (allocations counted).
    func measure(_ name: String, on loop: EventLoop, _ body: @escaping () async throws -> Void) {
        Benchmark(name) { benchmark in try await onLoop(loop, benchmark, body) }
        Benchmark("\(name).mallocs", configuration: counted) { benchmark in try await onLoop(loop, benchmark, body) }
    }

    let loops: [EventLoop] = [Backend.ioUring, .epoll].compactMap { backend in
        var configuration = EventLoop.Configuration()
        configuration.backend = backend
        configuration.threadName = "torus-benchmark"
        return try? EventLoop(configuration: configuration)
    }
    // Made once: a new queue's first put allocates its buffer, which is not steady state.
    guard let loop = loops.first, let lock = try? Lock(loop: loop),
        let queue = try? Queue<Int>(maxsize: 16, loop: loop)
    else { return }

    measure("LockAcquireRelease", on: loop) {
        try await lock.acquire()
        try lock.release()
    }
    measure("QueuePutGet", on: loop) {
        try await queue.put(1)
        blackHole(try await queue.get())
    }
    for loop in loops {
        measure("Nop-\(loop.backend)", on: loop) { try await loop.nop() }
        measure("SleepZero-\(loop.backend)", on: loop) { try await loop.sleep(for: .zero) }
        let echo = EchoPair(loop: loop)
        measure("EchoRoundTrip-\(loop.backend)", on: loop) { try await echo.roundTrip() }
    }
}
