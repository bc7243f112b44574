import Testing

@testable import Torus

/// Primitives are loop-local: every call from another thread throws `.notOnLoop`.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct SyncMisuseTests {
    @Test(arguments: TestBackend.allCases)
    func callsFromAnotherThreadThrowNotOnLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let lock = try Lock()
            let semaphore = try BoundedSemaphore(value: 1)
            let condition = try Condition()
            let event = try Event()
            let queue = try Queue<Int>(maxsize: 1)
            try await offLoop {
                await expectTorusError(.lock, .notOnLoop) { try await lock.acquire() }
                await expectTorusError(.lock, .notOnLoop) { try lock.release() }
                await expectTorusError(.lock, .notOnLoop) { try await lock.withLock {} }
                await expectTorusError(.semaphore, .notOnLoop) { try await semaphore.acquire() }
                await expectTorusError(.semaphore, .notOnLoop) { try semaphore.release() }
                await expectTorusError(.condition, .notOnLoop) { try await condition.wait() }
                await expectTorusError(.condition, .notOnLoop) { try condition.notify() }
                await expectTorusError(.condition, .notOnLoop) { try condition.notifyAll() }
                await expectTorusError(.event, .notOnLoop) { try await event.wait() }
                await expectTorusError(.event, .notOnLoop) { try event.set() }
                await expectTorusError(.event, .notOnLoop) { try event.clear() }
                await expectTorusError(.event, .notOnLoop) { try event.isSet }
                await expectTorusError(.queue, .notOnLoop) { try await queue.put(1) }
                await expectTorusError(.queue, .notOnLoop) { try queue.putNowait(1) }
                await expectTorusError(.queue, .notOnLoop) { try await queue.get() }
                await expectTorusError(.queue, .notOnLoop) { try queue.getNowait() }
                await expectTorusError(.queue, .notOnLoop) { try queue.taskDone() }
                await expectTorusError(.queue, .notOnLoop) { try await queue.join() }
                await expectTorusError(.queue, .notOnLoop) { try queue.count }
                await expectTorusError(.queue, .notOnLoop) { try queue.isEmpty }
                await expectTorusError(.queue, .notOnLoop) { try queue.isFull }
                // Without a loop to bind to, creating one fails too; with one it works.
                await expectTorusError(.lock, .notOnLoop) { try Lock() }
                await expectTorusError(.queue, .notOnLoop) { try Queue<Int>() }
                let bound = try Event(loop: loop)
                #expect(bound.loop === loop)
            }
            // Nothing changed: the lock is free, the event clear, the queue empty.
            try await lock.acquire(timeout: .zero)
            try lock.release()
            #expect(try event.isSet == false)
            #expect(try queue.isEmpty)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aPrimitiveBelongsToItsOwnLoop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let lock = try Lock()
            // Not a nested withTestLoop: a second shared hold of the descriptor gate would
            // deadlock behind a test waiting for it exclusively.
            var configuration = backend.configuration
            configuration.threadName = "torus-other"
            let other = try EventLoop(configuration: configuration)
            let error = await torusError { try await other.run { try await lock.acquire() } }
            await other.shutdown()
            #expect(error == TorusError(.lock, .notOnLoop))
            #expect(
                error?.description
                    == "lock must run on its event loop's thread (owned by loop torus-test, called on the thread of "
                    + "another loop, torus-other: use it from torus-test's tasks, or hop there with loop.run { })")
        }
    }
}
