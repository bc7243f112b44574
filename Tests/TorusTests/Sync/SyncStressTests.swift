import Testing

@testable import Torus

/// Many contending tasks: no wake-up, permit or item is lost or delivered twice.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct SyncStressTests {
    /// 10,000 tasks increment a counter under a lock, yielding while they hold it so that
    /// the others pile up in its line.
    @Test(arguments: TestBackend.allCases)
    func tenThousandTasksIncrementUnderALock(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let lock = try Lock()
            let counter = LoopConfined(0, on: loop)
            let holders = LoopConfined(0, on: loop)
            let mostHolders = LoopConfined(0, on: loop)
            try await withThrowingDiscardingTaskGroup { group in
                for _ in 0..<10_000 {
                    group.addTask {
                        try await lock.withLock {
                            holders.value += 1
                            mostHolders.value = max(mostHolders.value, holders.value)
                            let value = counter.value
                            await Task.yield()
                            counter.value = value + 1
                            holders.value -= 1
                        }
                    }
                }
            }
            #expect(counter.value == 10_000)
            #expect(mostHolders.value == 1)
        }
    }

    /// 10,000 tasks share three permits: never more than three run at once, and every
    /// task gets through.
    @Test(arguments: TestBackend.allCases)
    func tenThousandTasksShareThreePermits(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let semaphore = try Semaphore(value: 3)
            let running = LoopConfined(0, on: loop)
            let mostRunning = LoopConfined(0, on: loop)
            let finished = LoopConfined(0, on: loop)
            try await withThrowingDiscardingTaskGroup { group in
                for _ in 0..<10_000 {
                    group.addTask {
                        try await semaphore.acquire()
                        running.value += 1
                        mostRunning.value = max(mostRunning.value, running.value)
                        await Task.yield()
                        running.value -= 1
                        finished.value += 1
                        try semaphore.release()
                    }
                }
            }
            #expect(finished.value == 10_000)
            #expect(mostRunning.value == 3)
        }
    }

    /// 10,000 items through a queue of 16: four producers whose puts time out and retry,
    /// three steady consumers (one with 1 ms timeouts), and four consumers cancelled
    /// part-way. Every item is received exactly once.
    @Test(arguments: TestBackend.allCases)
    func tenThousandItemsThroughABoundedQueueWithCancellations(_ backend: TestBackend) async throws {
        let total = 10_000
        try await withTestLoop(backend) { loop in
            let queue = try Queue<Int>(maxsize: 16)
            let received = LoopConfined([Int](repeating: 0, count: total), on: loop)
            let receivedCount = LoopConfined(0, on: loop)
            let byCancelledConsumers = LoopConfined(0, on: loop)
            let halfway = try Event()
            let done = try Event()
            @Sendable func record(_ item: Int) throws {
                received.value[item] += 1
                receivedCount.value += 1
                if receivedCount.value == total / 2 { try halfway.set() }
                if receivedCount.value == total { try done.set() }
            }
            try await withThrowingDiscardingTaskGroup { group in
                for producer in 0..<4 {
                    group.addTask {
                        for item in stride(from: producer, to: total, by: 4) {
                            while true {
                                do {
                                    try await queue.put(item, timeout: .milliseconds(1))
                                    break
                                } catch let error as TorusError where error.reason == .timedOut {}
                            }
                        }
                    }
                }
                for consumer in 0..<3 {
                    group.addTask {
                        while try !done.isSet {
                            do {
                                try record(try await queue.get(timeout: .milliseconds(consumer == 0 ? 1 : 20)))
                            } catch let error as TorusError where error.reason == .timedOut {}
                        }
                    }
                }
                group.addTask {
                    try await withThrowingDiscardingTaskGroup { fragile in
                        for _ in 0..<4 {
                            fragile.addTask {
                                do {
                                    for try await item in queue {
                                        try record(item)
                                        byCancelledConsumers.value += 1
                                    }
                                } catch is CancellationError {}
                            }
                        }
                        try await halfway.wait()
                        fragile.cancelAll()
                    }
                }
            }
            #expect(receivedCount.value == total)
            #expect(received.value.allSatisfy { $0 == 1 })
            #expect(byCancelledConsumers.value > 0)
            #expect(try queue.isEmpty)
        }
    }
}
