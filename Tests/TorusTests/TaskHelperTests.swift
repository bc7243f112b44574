import Glibc
import Logging
import Synchronization
import Testing

@testable import Torus

/// The task helpers: gather, race, withTimeout, spawn, runInPool.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct TaskHelperTests {
    struct Boom: Error, Equatable {}

    @Test(arguments: TestBackend.allCases)
    func gatherReturnsResultsInArgumentOrderFromTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            // They finish in the order 1, 2, 0.
            let results = try await gather(
                {
                    try await loop.sleep(for: .milliseconds(30)); return "a \(loop.isCurrent)"
                },
                {
                    try await loop.sleep(for: .milliseconds(5)); return "b \(loop.isCurrent)"
                },
                {
                    try await loop.sleep(for: .milliseconds(15)); return "c \(loop.isCurrent)"
                })
            #expect(results == ["a true", "b true", "c true"])
            #expect(try await gather([] as [@Sendable () async throws -> Int]) == [])
        }
    }

    @Test(arguments: TestBackend.allCases)
    func gatherRethrowsTheFirstErrorAndCancelsTheRest(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let sawCancellation = [Flag(), Flag()]
            let start = ContinuousClock.now
            await #expect(throws: Boom.self) {
                _ = try await gather(
                    { try await sleepReportingCancellation(loop, sawCancellation[0]) },
                    {
                        try await loop.sleep(for: .milliseconds(5))
                        throw Boom()
                    },
                    { try await sleepReportingCancellation(loop, sawCancellation[1]) })
            }
            #expect(sawCancellation[0].isSet && sawCancellation[1].isSet, "the others were cancelled and waited for")
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }

    @Test(arguments: TestBackend.allCases)
    func raceReturnsTheFirstToFinishAndCancelsTheOthers(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let slowSawCancellation = Flag()
            let winner = try await race(
                {
                    try await sleepReportingCancellation(loop, slowSawCancellation)
                    return "slow"
                },
                {
                    try await loop.sleep(for: .milliseconds(5))
                    return "fast"
                })
            #expect(winner == "fast")
            #expect(slowSawCancellation.isSet)
            // An error that comes first wins too.
            let otherSawCancellation = Flag()
            await #expect(throws: Boom.self) {
                try await race(
                    { () async throws -> Int in
                        try await sleepReportingCancellation(loop, otherSawCancellation)
                        return 1
                    },
                    { throw Boom() })
            }
            #expect(otherSawCancellation.isSet)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func withTimeoutThrowsTimedOutAndCancelsTheBody(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let bodySawCancellation = Flag()
            let start = ContinuousClock.now
            await expectTorusError(.withTimeout, .timedOut) {
                try await withTimeout(.milliseconds(20)) {
                    try await sleepReportingCancellation(loop, bodySawCancellation)
                }
            }
            let elapsed = ContinuousClock.now - start
            #expect(bodySawCancellation.isSet)
            #expect(elapsed >= .milliseconds(20) && elapsed < .seconds(5))
        }
    }

    @Test(arguments: TestBackend.allCases)
    func withTimeoutPassesValuesAndErrorsThrough(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let value = try await withTimeout(.seconds(10)) {
                try await loop.sleep(for: .milliseconds(1))
                return 42
            }
            #expect(value == 42)
            await #expect(throws: Boom.self) { try await withTimeout(.seconds(10)) { throw Boom() } }
            // A body that finishes in time leaves no timer behind (withTestLoop checks).
        }
    }

    @Test func withTimeoutWorksOffTheLoop() async throws {
        await expectTorusError(.withTimeout, .timedOut) {
            try await withTimeout(.milliseconds(10)) { try await Task.sleep(for: .seconds(10)) }
        }
        #expect(try await withTimeout(.seconds(10)) { 7 } == 7)
    }

    @Test(arguments: TestBackend.allCases)
    func spawnLogsTheErrorOfATaskNobodyAwaits(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let records = LogRecords()
            let logger = Logger(label: "test.spawn") { _ in CapturingLogHandler(records: records) }
            let ranOnLoop = Flag()
            spawn(logger: logger) {
                if loop.isCurrent { ranOnLoop.set() }
                throw TorusError(.read, .closed)
            }
            let logged = try await records.first(on: loop)
            #expect(ranOnLoop.isSet)
            #expect(logged.level == .error)
            #expect(logged.message == "spawned task failed")
            #expect(logged.metadata["error"] == "read on a closed handle")
            #expect(logged.metadata["spawnedAt"]?.description.hasPrefix("TorusTests/TaskHelperTests.swift:") == true)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aCancelledSpawnedTaskIsLoggedAtDebugLevel(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let records = LogRecords()
            var logger = Logger(label: "test.spawn") { _ in CapturingLogHandler(records: records) }
            logger.logLevel = .debug
            let handle = spawn(on: loop, logger: logger) { try await loop.sleep(for: .seconds(10)) }
            handle.cancel()
            let logged = try await records.first(on: loop)
            #expect(logged.level == .debug)
            #expect(logged.message == "spawned task cancelled")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func runInPoolRunsOffTheLoopAndResumesOnIt(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let loopThread = pthread_self()
            let (value, poolThread, onAnyLoop) = try await runInPool {
                usleep(2_000)  // blocking, as the work this is for
                return (6 * 7, pthread_self(), EventLoop.current != nil)
            }
            #expect(value == 42)
            #expect(pthread_equal(poolThread, loopThread) == 0)
            #expect(!onAnyLoop)
            #expect(loop.isCurrent, "the caller resumes on its loop")
            await #expect(throws: Boom.self) { try await runInPool { throw Boom() } }
            // Many at once all come back.
            let many = try await gather((0..<20).map { index in { try await runInPool { index * 2 } } })
            #expect(many == (0..<20).map { $0 * 2 })
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingARunInPoolCallerStopsItsWait(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let release = Latch()
            await expectTorusError(.withTimeout, .timedOut) {
                try await withTimeout(.milliseconds(10)) { try await runInPool { release.wait() } }
            }
            release.open()
        }
    }
}

/// Sleeps (up to 10 s) on `loop`, setting `flag` if the sleep ends in `CancellationError`.
private func sleepReportingCancellation(_ loop: EventLoop, _ flag: Flag) async throws {
    do {
        try await loop.sleep(for: .seconds(10))
    } catch is CancellationError {
        flag.set()
        throw CancellationError()
    }
}

/// A pool thread blocks in `wait()` until the test calls `open()`.
private final class Latch: Sendable {
    private let isOpen = Mutex(false)
    func wait() {
        while !isOpen.withTSanVisibleLock({ $0 }) { usleep(1_000) }
    }
    func open() { isOpen.withTSanVisibleLock { $0 = true } }
}

// MARK: - Capturing log messages

/// What a ``CapturingLogHandler`` saw.
final class LogRecords: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let records = Mutex<[Record]>([])

    func append(_ record: Record) { records.withTSanVisibleLock { $0.append(record) } }

    var all: [Record] { records.withTSanVisibleLock { $0 } }

    /// The first record, waiting for it on `loop` for up to about 10 seconds.
    func first(on loop: EventLoop) async throws -> Record {
        for _ in 0..<10_000 {
            if let first = all.first { return first }
            try await loop.sleep(for: .milliseconds(1))
        }
        return try #require(all.first, "nothing was logged")
    }
}

/// A swift-log handler that records every message (tests pass a logger built on it).
struct CapturingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.append(
            LogRecords.Record(
                level: event.level, message: event.message.description,
                metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}
