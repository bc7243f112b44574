import ArgumentParser
import Glibc
import NIOCore
import NIOPosix
import Torus
import TorusCommandLine

/// `torus-bench hop`: one cross-loop round trip (a task on loop A awaits a value computed
/// on loop B) on Torus's reactors, beside SwiftNIO's closest equivalents and a plain
/// `Task` on Swift's global executor.
///
/// The contenders (``HopContender``), two loops (threads) each, unpinned alike:
/// - Torus: a task on loop A awaits `loopB.run { value }`; on io_uring twice, the loops
///   waking each other with `IORING_OP_MSG_RING` (the default) and with the eventfd
///   (`wakesFromLoopsByMessage = false`);
/// - `swift-nio-actor`: an actor whose executor is NIO event loop A awaits
///   `loopB.submit { value }.get()`: Swift code on loop A awaiting loop B, as Torus's;
/// - `swift-nio-futures`: NIO without Swift concurrency, each round trip
///   `loopB.submit { value }.hop(to: loopA)` chained in callbacks on loop A;
/// - `task`: `await Task { value }.value` from a task on the global executor.
///
/// Each measurement is bounded by `--round-trips` and by `--max-seconds`.
struct HopCommand: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "hop",
        abstract: "Cross-loop round trips: ns and mallocs per hop, Torus vs SwiftNIO submit vs a plain Task."
    )

    @Option(help: "Round trips per measurement, 1...1000000000 (after a tenth of that as warm-up).")
    var roundTrips = 1_000_000

    @Option(parsing: .unconditional, help: "Most seconds a measurement may take (more than 0); it stops early past it.")
    var maxSeconds = 5.0

    @Option(help: "Torus reactors to measure: io_uring, epoll or both.")
    var backend: BackendSelection = .both

    @Flag(inversion: .prefixedNo, help: "Measure SwiftNIO's submit too.")
    var nio = true

    @OptionGroup var interleaved: InterleavedRuns

    @OptionGroup var report: ReportOptions

    func validate() throws {
        try OptionCheck.integer(roundTrips, "--round-trips", in: 1...1_000_000_000)
        try OptionCheck.seconds(maxSeconds, "--max-seconds")
    }

    func run() async throws {
        _ = try await measure(reporting: report.write)
    }

    func measure(reporting report: (BenchReport<HopRecord>) throws -> Void) async throws -> BenchReport<HopRecord> {
        var contenders = backend.backends.map(HopContender.torus)
        // io_uring loops wake each other with MSG_RING by default; the eventfd beside it.
        if backend.backends.contains(.ioUring) { contenders.insert(.torusEventfdWake, at: 1) }
        if nio { contenders += [.nioActor, .nioFutures] }
        contenders.append(.task)
        let bound = HopBound(roundTrips: roundTrips, seconds: maxSeconds)
        let runs = try await interleaved.measure(contenders) { contender in
            try await contender.measure(bound)
        } describe: { contender, record in
            String(
                format: "%@: %.0f ns/round trip, %.2f mallocs/round trip", contender.rawValue,
                record.nanosecondsPerRoundTrip, record.mallocsPerRoundTrip)
        }
        var records = BenchReport<HopRecord>()
        for contenderRuns in runs { records.add(contenderRuns, medianBy: \.nanosecondsPerRoundTrip) }
        try report(records)
        Self.printTable(records.medians, repeats: interleaved.repeats)
        return records
    }

    /// The table: each contender's median, with its ratio to both SwiftNIO contenders.
    private static func printTable(_ medians: [HopRecord], repeats: Int) {
        let byName = Dictionary(uniqueKeysWithValues: medians.map { ($0.contender, $0) })
        let actor = byName[HopContender.nioActor.rawValue]?.nanosecondsPerRoundTrip
        let futures = byName[HopContender.nioFutures.rawValue]?.nanosecondsPerRoundTrip
        print()
        print("hop: one cross-loop round trip, 2 loops (threads), unpinned; median of \(repeats)")
        print(
            "| contender | round trips | ns/round trip | CPU ns/round trip | mallocs/round trip | vs NIO actor | vs NIO futures |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for record in medians {
            print(
                String(
                    format: "| %@ | %d | %.0f | %.0f | %.2f | %@ | %@ |", record.contender, record.roundTrips,
                    record.nanosecondsPerRoundTrip, record.cpuNanosecondsPerRoundTrip, record.mallocsPerRoundTrip,
                    ratioCell(record.nanosecondsPerRoundTrip, actor), ratioCell(record.nanosecondsPerRoundTrip, futures)
                ))
        }
        print()
    }
}

/// How long a hop measurement may go on: `roundTrips`, or until `seconds` have passed.
struct HopBound: Sendable {
    var roundTrips: Int
    var seconds: Double

    /// How often a spin looks at the clock: often enough to stop within a few
    /// milliseconds, rarely enough to cost nothing.
    static let clockStride = 1024

    /// Whether a spin that has done `done` round trips and started at `start` should stop.
    func isOver(_ done: Int, of count: Int, since start: ContinuousClock.Instant) -> Bool {
        done >= count || (done % Self.clockStride == 0 && ContinuousClock.now - start > .seconds(seconds))
    }
}

/// A `torus-bench hop` contender.
enum HopContender: Sendable, CustomStringConvertible {
    /// A task on Torus loop A awaiting `loopB.run { value }`.
    case torus(Backend)
    /// The same on io_uring, the loops waking each other by eventfd instead of MSG_RING.
    case torusEventfdWake
    /// An actor on NIO event loop A awaiting `loopB.submit { value }.get()`.
    case nioActor
    /// `loopB.submit { value }.hop(to: loopA)`, chained in callbacks on NIO loop A.
    case nioFutures
    /// `await Task { value }.value` on the global executor.
    case task

    /// Its name in the table and reports.
    var rawValue: String {
        switch self {
        case .torus(let backend): Contender.torus(backend).rawValue
        case .torusEventfdWake: Contender.torus(.ioUring).rawValue + "-eventfd-wake"
        case .nioActor: "swift-nio-actor"
        case .nioFutures: "swift-nio-futures"
        case .task: "task"
        }
    }

    var description: String { rawValue }

    /// One measurement: a tenth of the round trips as warm-up, then the round trips
    /// (as `bound` allows), with wall time, process CPU time and heap allocations.
    func measure(_ bound: HopBound) async throws -> HopRecord {
        let (roundTrips, nanoseconds, cpu, mallocs): (Int, Double, Double, Int)
        switch self {
        case .torus, .torusEventfdWake:
            var configuration = EventLoopGroup.Configuration()
            configuration.loopCount = 2
            switch self {
            case .torus(let backend): configuration.loop.backend = backend
            default:
                configuration.loop.backend = .ioUring
                configuration.loop.wakesFromLoopsByMessage = false
            }
            let group = try EventLoopGroup(configuration: configuration)
            do {
                (roundTrips, nanoseconds, cpu, mallocs) = try await Self.timed(bound) { count, start in
                    try await Self.torusSpin(
                        from: group.loops[0], to: group.loops[1], count: count, start: start, bound)
                }
            } catch {
                await group.shutdownGracefully(gracePeriod: .zero)
                throw error
            }
            await group.shutdownGracefully(gracePeriod: .zero)
        case .nioActor, .nioFutures:
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            let loops = Array(group.makeIterator())
            let actor = LoopBoundHopper(loop: loops[0])
            let isActor = if case .nioActor = self { true } else { false }
            do {
                (roundTrips, nanoseconds, cpu, mallocs) = try await Self.timed(bound) { count, start in
                    isActor
                        ? try await actor.spin(to: loops[1], count: count, start: start, bound)
                        : try await Self.futuresSpin(from: loops[0], to: loops[1], count: count, start: start, bound)
                }
            } catch {
                try? await group.shutdownGracefully()
                throw error
            }
            try await group.shutdownGracefully()
        case .task:
            (roundTrips, nanoseconds, cpu, mallocs) = try await Self.timed(bound) { count, start in
                var done = 0
                var sum = 0
                while !bound.isOver(done, of: count, since: start) {
                    sum &+= await Task { 1 }.value
                    done += 1
                }
                return sum
            }
        }
        let total = Double(max(roundTrips, 1))
        return HopRecord(
            contender: rawValue, roundTrips: roundTrips, nanosecondsPerRoundTrip: nanoseconds / total,
            cpuNanosecondsPerRoundTrip: cpu / total, mallocsPerRoundTrip: Double(mallocs) / total)
    }

    /// Runs `spin` for a tenth of the round trips, then measures it for all of them;
    /// `spin` returns how many it did. Returns those, the wall and process CPU
    /// nanoseconds, and the heap allocations the whole process made meanwhile.
    private static func timed(
        _ bound: HopBound, _ spin: (_ count: Int, _ start: ContinuousClock.Instant) async throws -> Int
    ) async throws -> (Int, Double, Double, Int) {
        _ = try await spin(max(bound.roundTrips / 10, 1), .now)
        AllocationCounter.start()
        let cpu0 = processCPUNanoseconds()
        let start = ContinuousClock.now
        let done = try await spin(bound.roundTrips, start)
        let elapsed = (ContinuousClock.now - start) / .nanoseconds(1)
        let cpu = processCPUNanoseconds() - cpu0
        let mallocs = AllocationCounter.stop()
        return (done, elapsed, cpu, mallocs)
    }

    /// A task on `a` awaiting `b.run { 1 }` up to `count` times; returns how many.
    private static func torusSpin(
        from a: Torus.EventLoop, to b: Torus.EventLoop, count: Int, start: ContinuousClock.Instant, _ bound: HopBound
    ) async throws -> Int {
        try await a.run {
            var done = 0
            while !bound.isOver(done, of: count, since: start) {
                done += try await b.run { 1 }
            }
            return done
        }
    }

    /// `b.submit { 1 }.hop(to: a)` up to `count` times, each started from the previous
    /// one's callback on `a`; returns how many.
    private static func futuresSpin(
        from a: any NIOCore.EventLoop, to b: any NIOCore.EventLoop, count: Int, start: ContinuousClock.Instant,
        _ bound: HopBound
    ) async throws -> Int {
        let finished = a.makePromise(of: Int.self)
        @Sendable func step(_ done: Int) {
            if bound.isOver(done, of: count, since: start) { return finished.succeed(done) }
            b.submit { 1 }.hop(to: a).whenComplete { result in
                switch result {
                case .success(let one): step(done + one)
                case .failure(let error): finished.fail(error)
                }
            }
        }
        a.execute { step(0) }
        return try await finished.futureResult.get()
    }

    /// The CPU time of every thread of this process so far, in nanoseconds.
    private static func processCPUNanoseconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
    }
}

/// An actor running on a NIO event loop (its executor is the loop): Swift code on loop
/// A, as a Torus task on its loop is, for ``HopContender/nioActor``.
private actor LoopBoundHopper {
    private let loop: any NIOCore.EventLoop

    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    /// An actor on `loop`.
    init(loop: any NIOCore.EventLoop) { self.loop = loop }

    /// Awaits `b.submit { 1 }.get()` up to `count` times; returns how many.
    func spin(to b: any NIOCore.EventLoop, count: Int, start: ContinuousClock.Instant, _ bound: HopBound) async throws
        -> Int
    {
        var done = 0
        while !bound.isOver(done, of: count, since: start) {
            done += try await b.submit { 1 }.get()
        }
        return done
    }
}
