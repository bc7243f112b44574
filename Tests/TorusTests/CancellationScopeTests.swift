import Testing

@testable import Torus

/// Cancellation in a task running ``EventLoop/run(_:)``, whose operations share one
/// cancellation handler (``TaskCancellationScope``), and in the tasks that inherit its
/// task-local but not its handler: child tasks, unstructured tasks, and the task itself
/// once its `run` has returned. Every case cancels the operation in flight promptly and
/// leaves no slot behind.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct CancellationScopeTests {
    @Test(arguments: TestBackend.allCases)
    func cancellingARunTaskCancelsItsOperationInFlight(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let pair = try await ConnectedPair.make()
            let sleeper = Task(executorPreference: loop) {
                try await loop.run { try await loop.sleep(for: .seconds(60)) }
            }
            let reader = Task(executorPreference: loop) { try await loop.run { try await pair.client.read(upTo: 8) } }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 2 })
            // From another thread: the handler runs there and reaches the loop.
            try await offLoop { sleeper.cancel() }
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            await #expect(throws: CancellationError.self) { try await reader.value }
            #expect(await loop.statistics.operationSlotsInUse == 0)
            // No byte went to the cancelled read.
            try await pair.server.write([7])
            #expect(try await pair.client.read(upTo: 8) == [7])
            try await pair.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func operationsAfterARunTaskIsCancelledThrowCancellationError(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let cancelledMidway = Task(executorPreference: loop) {
                try await loop.run {
                    try await loop.nop()
                    withUnsafeCurrentTask { $0?.cancel() }
                    await #expect(throws: CancellationError.self) { try await loop.nop() }
                    await #expect(throws: CancellationError.self) { try await loop.sleep(for: .seconds(60)) }
                    await #expect(throws: CancellationError.self) { try await loop.nop() }
                }
            }
            try await cancelledMidway.value
            let cancelledFirst = Task(executorPreference: loop) {
                withUnsafeCurrentTask { $0?.cancel() }
                try await loop.run { try await loop.sleep(for: .seconds(60)) }
            }
            await #expect(throws: CancellationError.self) { try await cancelledFirst.value }
            #expect(await loop.statistics.operationSlotsInUse == 0)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingTheChildrenOfARunTaskCancelsTheirOperations(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try await loop.run {
                await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<2 {
                        group.addTask { (try? await loop.sleep(for: .seconds(60))) == nil }
                    }
                    #expect(await waitUntil(loop) { $0.operationSlotsInUse == 2 })
                    group.cancelAll()
                    for await threw in group { #expect(threw) }
                }
                // The parent's own operations still run.
                try await loop.nop()
            }
            #expect(await loop.statistics.operationSlotsInUse == 0)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingARunTaskCancelsItsChildrensOperations(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let parent = Task(executorPreference: loop) {
                try await loop.run {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await loop.sleep(for: .seconds(60)) }
                        group.addTask { try await loop.run { try await loop.sleep(for: .seconds(60)) } }
                        try await group.waitForAll()
                    }
                }
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 2 })
            parent.cancel()
            await #expect(throws: CancellationError.self) { try await parent.value }
            #expect(await loop.statistics.operationSlotsInUse == 0)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellingAnUnstructuredTaskStartedInARunCancelsItsOperation(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try await loop.run {
                // It copies the task-local scope; the scope's handler is not its own.
                let sleeper = Task(executorPreference: loop) { try await loop.sleep(for: .seconds(60)) }
                #expect(await waitUntil(loop) { $0.operationSlotsInUse == 1 })
                sleeper.cancel()
                await #expect(throws: CancellationError.self) { try await sleeper.value }
            }
            #expect(await loop.statistics.operationSlotsInUse == 0)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aTaskWhoseRunReturnedIsStillCancellable(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let sleeper = Task(executorPreference: loop) {
                try await loop.run { try await loop.nop() }
                try await loop.sleep(for: .seconds(60))
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 1 })
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            #expect(await loop.statistics.operationSlotsInUse == 0)
        }
    }

    /// A `run` that ends with nothing else holding its scope leaves it to the loop, and
    /// the next `run` reopens it instead of allocating (a cross-loop `run` allocates
    /// nothing once warm); one an unstructured task inherited is not reused.
    @Test(arguments: TestBackend.allCases)
    func aScopeNothingElseHoldsIsReused(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let spare = { @Sendable in
                await withTaskExecutorPreference(loop) { loop.spareScope.map { ObjectIdentifier($0) } }
            }
            try await loop.run { try await loop.nop() }
            let first = try #require(await spare())
            try await loop.run { try await loop.nop() }
            #expect(await spare() == first)
            let inheritor = try await loop.run {
                Task(executorPreference: loop) { try await loop.sleep(for: .seconds(60)) }
            }
            #expect(await spare() == nil)
            inheritor.cancel()
            await #expect(throws: CancellationError.self) { try await inheritor.value }
        }
    }

    /// A reused scope cancels its new owner's operation, and only that one.
    @Test(arguments: TestBackend.allCases)
    func aReusedScopeCancelsItsNewOwnerOnly(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try await loop.run { try await loop.nop() }
            let sleeper = Task(executorPreference: loop) {
                try await loop.run { try await loop.sleep(for: .seconds(60)) }
            }
            let other = Task(executorPreference: loop) {
                try await loop.run {
                    try await loop.sleep(for: .milliseconds(100))
                    return 1
                }
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 2 })
            try await offLoop { sleeper.cancel() }
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            #expect(try await other.value == 1)
            #expect(await loop.statistics.operationSlotsInUse == 0)
        }
    }
}
