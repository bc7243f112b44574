/// Runs `operations` concurrently and returns their results in the order given: the
/// talk's `gather`.
///
/// They run as child tasks, which inherit the caller's executor preference: called in a
/// task pinned to a loop, all of them run on that loop's thread. The first error cancels
/// the others, waits for them to finish, and is rethrown.
public func gather<Value: Sendable>(_ operations: [@Sendable () async throws -> Value]) async throws -> [Value] {
    try await withThrowingTaskGroup(of: (Int, Value).self) { group in
        for (index, operation) in operations.enumerated() {
            group.addTask { (index, try await operation()) }
        }
        var results = [Value?](repeating: nil, count: operations.count)
        for try await (index, value) in group { results[index] = value }
        return results.map { $0! }
    }
}

/// ``gather(_:)-([()->Value])`` for operations written out as arguments.
public func gather<Value: Sendable>(_ operations: (@Sendable () async throws -> Value)...) async throws -> [Value] {
    try await gather(operations)
}

/// Runs the operations concurrently; the first to finish decides: its value is
/// returned, or its error thrown. The others are cancelled, and waited for before this
/// returns (structured: nothing keeps running behind the caller's back).
///
/// Child tasks inherit the caller's executor preference, as in ``gather(_:)-([()->Value])``.
public func race<Value: Sendable>(
    _ first: @escaping @Sendable () async throws -> Value,
    _ others: (@Sendable () async throws -> Value)...
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value.self) { group in
        for operation in [first] + others {
            group.addTask { try await operation() }
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
