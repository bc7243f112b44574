import Testing

/// Lets one test lower the process-wide open-file limit (or take every free descriptor)
/// without failing the tests that run in parallel: every test holds the gate shared (the
/// ``Testing/Trait/descriptorGate`` trait every suite carries, and
/// ``withTestLoop(_:access:configure:sourceLocation:_:)``); that test holds it
/// exclusively, so it runs alone. Waiters enter in arrival order, so the exclusive one is
/// not starved.
actor DescriptorGate {
    enum Access: Sendable { case shared, exclusive }

    static let process = DescriptorGate()

    /// The access the current task holds, so that nested holds do not queue behind a
    /// waiting exclusive holder (which would wait for this task's own shared hold).
    @TaskLocal static var held: Access?

    private var sharedHolders = 0
    private var exclusiveHeld = false
    private var waiters: [(access: Access, continuation: CheckedContinuation<Void, Never>)] = []

    func acquire(_ access: Access) async {
        if waiters.isEmpty, canEnter(access) {
            enter(access)
            return
        }
        await withCheckedContinuation { waiters.append((access, $0)) }
    }

    func release(_ access: Access) {
        switch access {
        case .shared: sharedHolders -= 1
        case .exclusive: exclusiveHeld = false
        }
        // Admit waiters in arrival order: one exclusive holder, or the shared ones up to
        // the next exclusive waiter.
        while let first = waiters.first, canEnter(first.access) {
            waiters.removeFirst()
            enter(first.access)
            first.continuation.resume()
        }
    }

    private func canEnter(_ access: Access) -> Bool {
        switch access {
        case .shared: !exclusiveHeld
        case .exclusive: !exclusiveHeld && sharedHolders == 0
        }
    }

    private func enter(_ access: Access) {
        switch access {
        case .shared: sharedHolders += 1
        case .exclusive: exclusiveHeld = true
        }
    }
}

/// Runs `body` holding the descriptor gate with `access`. A hold the task already has
/// covers a nested shared one; a nested exclusive one gives the shared hold up while it
/// waits and takes it back afterwards.
@discardableResult
func withDescriptorGate<Result>(
    _ access: DescriptorGate.Access = .shared, _ body: () async throws -> Result
) async throws -> Result {
    switch (DescriptorGate.held, access) {
    case (.exclusive, _), (.shared, .shared):
        return try await body()
    case (.shared, .exclusive):
        await DescriptorGate.process.release(.shared)
        let result: Result
        do {
            result = try await hold(.exclusive, body)
        } catch {
            await DescriptorGate.process.acquire(.shared)
            throw error
        }
        await DescriptorGate.process.acquire(.shared)
        return result
    case (nil, _):
        return try await hold(access, body)
    }
}

/// Acquires `access`, runs `body` with it recorded as held, and releases it.
private func hold<Result>(_ access: DescriptorGate.Access, _ body: () async throws -> Result) async throws -> Result {
    await DescriptorGate.process.acquire(access)
    do {
        let result = try await DescriptorGate.$held.withValue(access) { try await body() }
        await DescriptorGate.process.release(access)
        return result
    } catch {
        await DescriptorGate.process.release(access)
        throw error
    }
}

/// Runs each test of a suite holding the descriptor gate shared, so that a test lowering
/// the open-file limit never runs beside it. Every suite carries it.
struct DescriptorGateTrait: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // A suite's own scope (no test case) runs no test: nothing to hold.
        guard testCase != nil else { return try await function() }
        try await withDescriptorGate(.shared) { try await function() }
    }
}

extension Trait where Self == DescriptorGateTrait {
    /// Each test holds the descriptor gate shared (``DescriptorGate``).
    static var descriptorGate: Self { DescriptorGateTrait() }
}
