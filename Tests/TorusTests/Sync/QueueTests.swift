import Testing

@testable import Torus

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct SyncQueueTests {
    @Test(arguments: TestBackend.allCases)
    func nowaitCallsCountAndReportFullAndEmpty(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let queue = try Queue<Int>(maxsize: 2)
            #expect(try queue.isEmpty && !queue.isFull && queue.count == 0)
            await expectTorusError(.queue, .empty) { try queue.getNowait() }
            try queue.putNowait(1)
            try queue.putNowait(2)
            #expect(try !queue.isEmpty && queue.isFull && queue.count == 2)
            let error = await torusError { try queue.putNowait(3) }
            #expect(error == TorusError(.queue, .full))
            #expect(error?.description == "queue is full")
            #expect(try queue.getNowait() == 1)
            #expect(try await queue.get() == 2)
            #expect(try queue.count == 0)
            await expectTorusError(.queue, .invalidArgument("maxsize -1 is negative")) {
                try Queue<Int>(maxsize: -1)
            }
            let unbounded = try Queue<Int>()
            for item in 0..<1000 { try unbounded.putNowait(item) }
            #expect(try unbounded.count == 1000 && !unbounded.isFull)
            for item in 0..<1000 { #expect(try unbounded.getNowait() == item) }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func lifoAndPriorityQueuesOrderTheirItems(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let lifo = try LifoQueue<Int>()
            let priority = try PriorityQueue<Int>()
            for item in [3, 1, 4, 1, 5, 9, 2, 6] {
                try await lifo.put(item)
                try await priority.put(item)
            }
            var fromLifo: [Int] = []
            var fromPriority: [Int] = []
            while try !lifo.isEmpty { fromLifo.append(try await lifo.get()) }
            while try !priority.isEmpty { fromPriority.append(try priority.getNowait()) }
            #expect(fromLifo == [6, 2, 9, 5, 1, 4, 1, 3])
            #expect(fromPriority == [1, 1, 2, 3, 4, 5, 6, 9])
        }
    }

    @Test(arguments: TestBackend.allCases)
    func waitingGettersAreServedInArrivalOrder(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let queue = try Queue<String>()
            var getters: [Task<String, any Error>] = []
            for _ in 0..<4 { getters.append(await startWaiter(on: loop) { try await queue.get() }) }
            for item in ["a", "b", "c", "d"] { try queue.putNowait(item) }
            #expect(try queue.count == 0)  // handed straight to the getters
            var received: [String] = []
            for getter in getters { received.append(try await getter.value) }
            #expect(received == ["a", "b", "c", "d"])
        }
    }

    @Test(arguments: TestBackend.allCases)
    func waitingPuttersGetInInArrivalOrder(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let queue = try Queue<Int>(maxsize: 1)
            try await queue.put(0)
            var putters: [Task<Void, any Error>] = []
            for item in 1...3 { putters.append(await startWaiter(on: loop) { try await queue.put(item) }) }
            var received: [Int] = []
            for _ in 0...3 { received.append(try await queue.get()) }
            for putter in putters { try await putter.value }
            #expect(received == [0, 1, 2, 3])
            #expect(try queue.isEmpty)
        }
    }

    /// A get from a full queue while a putter waits admits the putter's item first, then
    /// takes the next item, as `tornado.queues` does: for a LIFO queue that is the
    /// putter's own item, for a priority queue the smallest of all.
    @Test(arguments: TestBackend.allCases)
    func aGetFromAFullQueueAdmitsTheWaitingPutterFirst(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let lifo = try LifoQueue<Int>(maxsize: 1)
            try await lifo.put(1)
            let lifoPutter = await startWaiter(on: loop) { try await lifo.put(2) }
            #expect(try await lifo.get() == 2, "the newest item, the putter's")
            try await lifoPutter.value
            #expect(try lifo.getNowait() == 1)

            let priority = try PriorityQueue<Int>(maxsize: 1)
            try await priority.put(5)
            let priorityPutter = await startWaiter(on: loop) { try await priority.put(1) }
            #expect(try priority.getNowait() == 1, "the smallest item, the putter's")
            try await priorityPutter.value
            #expect(try priority.getNowait() == 5)
            #expect(try lifo.isEmpty && priority.isEmpty)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func getAndPutTimeOut(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let queue = try Queue<Int>(maxsize: 1)
            await expectTimeout(.queue, after: .milliseconds(20)) { try await queue.get(timeout: .milliseconds(20)) }
            try await queue.put(1, timeout: .milliseconds(20))
            await expectTimeout(.queue, after: .milliseconds(20)) { try await queue.put(2, timeout: .milliseconds(20)) }
            // The item that timed out was not put.
            #expect(try queue.count == 1)
            #expect(try queue.getNowait() == 1)
            await expectTorusError(.queue, .empty) { try queue.getNowait() }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancelledAndTimedOutWaitersTakeNoItem(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let queue = try Queue<Int>(maxsize: 1)
            let cancelledGetter = await startWaiter(on: loop) { try await queue.get() }
            let timedOutGetter = await startWaiter(on: loop) { try await queue.get(timeout: .milliseconds(5)) }
            let getter = await startWaiter(on: loop) { try await queue.get() }
            cancelledGetter.cancel()
            await expectCancelled(cancelledGetter)
            await expectTorusError(.queue, .timedOut) { try await timedOutGetter.value }
            try queue.putNowait(7)
            #expect(try await getter.value == 7)

            try queue.putNowait(1)
            let cancelledPutter = await startWaiter(on: loop) { try await queue.put(2) }
            let timedOutPutter = await startWaiter(on: loop) { try await queue.put(3, timeout: .milliseconds(5)) }
            let putter = await startWaiter(on: loop) { try await queue.put(4) }
            cancelledPutter.cancel()
            await expectCancelled(cancelledPutter)
            await expectTorusError(.queue, .timedOut) { try await timedOutPutter.value }
            #expect(try queue.getNowait() == 1)
            try await putter.value
            #expect(try queue.getNowait() == 4)
            #expect(try queue.isEmpty)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func joinWaitsForEveryTaskDone(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let queue = try Queue<Int>()
            try await queue.join()  // nothing put: returns at once
            for item in 0..<3 { try await queue.put(item) }
            let joined = LoopConfined(false, on: loop)
            let joiner = await startWaiter(on: loop) {
                try await queue.join()
                joined.value = true
            }
            await expectTimeout(.queue, after: .milliseconds(10)) { try await queue.join(timeout: .milliseconds(10)) }
            for _ in 0..<3 {
                _ = try await queue.get()
                #expect(joined.value == false)
                try queue.taskDone()
            }
            try await joiner.value
            #expect(joined.value)
            let error = await torusError { try queue.taskDone() }
            #expect(error == TorusError(.queue, .overReleased))
            #expect(error?.description == "queue: taskDone() called more times than items were put")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func iterationGetsItemsUntilCancelled(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let queue = try Queue<Int>()
            let received = LoopConfined<[Int]>([], on: loop)
            let consumer = await startWaiter(on: loop) {
                for try await item in queue { received.value.append(item) }
            }
            for item in 0..<5 { try await queue.put(item) }
            #expect(await waitUntil(loop) { _ in received.value.count == 5 })
            consumer.cancel()
            await expectCancelled(consumer)
            #expect(received.value == [0, 1, 2, 3, 4])
        }
    }
}
