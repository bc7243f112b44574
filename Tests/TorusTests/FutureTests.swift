import Synchronization
import Testing

@testable import Torus

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct FutureTests {
    @Test(arguments: TestBackend.allCases)
    func completingWakesAwaitersAndCallbacksOnTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let promise = Promise<Int>()
            #expect(promise.future.loop === loop)
            let seen = Promise<[String]>()
            let order = Mutex<[String]>([])
            promise.future.whenComplete { result in
                order.withTSanVisibleLock { $0.append("first \(try! result.get()) onLoop=\(loop.isCurrent)") }
            }
            promise.future.whenComplete { result in
                let entries = order.withTSanVisibleLock {
                    $0.append("second \(try! result.get()) onLoop=\(loop.isCurrent)")
                    return $0
                }
                try! seen.complete(entries)
            }
            async let awaited = promise.future.value
            #expect(!promise.future.isComplete)
            try promise.complete(42)
            // Callbacks never run inside `complete`.
            #expect(order.withTSanVisibleLock { $0.isEmpty })
            #expect(try await awaited == 42)
            #expect(try await seen.future.value == ["first 42 onLoop=true", "second 42 onLoop=true"])
            #expect(try promise.future.result?.get() == 42)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func failingDeliversTheErrorToBothSides(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let promise = Promise<Int>()
            let callbackResult = Promise<Result<Int, any Error>>()
            promise.future.whenComplete { try! callbackResult.complete($0) }
            try promise.fail(TorusError(.read, .closed))
            await expectTorusError(.read, .closed) { try await promise.future.value }
            await expectTorusError(.read, .closed) { try await callbackResult.future.value.get() }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func completingTwiceThrowsAndKeepsTheFirstOutcome(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let promise = Promise<String>()
            try promise.complete("first")
            await expectTorusError(.promise, .alreadyCompleted) { try promise.complete("second") }
            await expectTorusError(.promise, .alreadyCompleted) { try promise.fail(TorusError(.read, .closed)) }
            await expectTorusError(.promise, .alreadyCompleted) { try promise.resolve(.success("third")) }
            #expect(try await promise.future.value == "first")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func callbackOnACompletedFutureRunsLaterOnTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let promise = Promise<Int>()
            try promise.complete(7)
            let ran = Flag()
            let seen = Promise<Bool>()
            promise.future.whenComplete { result in
                ran.set()
                try! seen.complete(loop.isCurrent && (try? result.get()) == 7)
            }
            #expect(!ran.isSet, "a callback never runs inside whenComplete")
            #expect(try await seen.future.value)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingAnAwaiterLeavesThePromisePending(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let promise = Promise<Int>()
            let waiting = Flag()
            let cancelled = Task(executorPreference: loop) {
                waiting.set()
                return try await promise.future.value
            }
            let other = Task(executorPreference: loop) { try await promise.future.value }
            while !waiting.isSet { await Task.yield() }
            await Task.yield()
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            #expect(!promise.future.isComplete)
            try promise.complete(5)
            #expect(try await other.value == 5)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func awaitingInACancelledTaskThrowsAtOnce(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let promise = Promise<Int>()
            let task = Task(executorPreference: loop) {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await promise.future.value
            }
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(!promise.future.isComplete)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aDroppedPromiseFailsItsFutureAsAbandoned(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let future = Future<Int> { _ in }
            await expectTorusError(.promise, .abandoned) { try await future.value }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func completedFromAnotherThreadTheAwaiterResumesOnTheLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let promise = Promise<Int>()
            Task.detached { try promise.complete(99) }
            let value = try await promise.future.value
            #expect(value == 99)
            #expect(loop.isCurrent)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func withPromiseBridgesACallbackOperation(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let start = ContinuousClock.now
            let onLoop: Bool = try await withPromise { promise in
                loop.sleep(for: .milliseconds(5)) { result in try! promise.resolve(result.map { loop.isCurrent }) }
            }
            #expect(onLoop)
            #expect(ContinuousClock.now - start >= .milliseconds(5))
        }
    }
}
