import Synchronization

/// A value that arrives once, later: the read side of a ``Promise``.
///
/// The talk's `Future`: callbacks wait on it with ``whenComplete(_:)``, async code with
/// ``value``. Thread-safe: a promise may be completed, and its future awaited or given
/// callbacks, from any thread (a pool thread, another loop); the state sits behind a
/// `Mutex`. Callbacks run on the future's ``loop`` thread.
///
/// ```swift
/// let promise = Promise<Int>()
/// promise.future.whenComplete { result in print(result) }   // later, on the loop
/// try promise.complete(42)
/// let answer = try await promise.future.value               // 42
/// ```
public final class Future<Value: Sendable>: Sendable {
    /// The loop whose thread runs the ``whenComplete(_:)`` callbacks; nil when the
    /// promise was made off every loop, and then they run on Swift's global pool.
    public let loop: EventLoop?
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var result: Result<Value, any Error>?
        var callbacks: [@Sendable (Result<Value, any Error>) -> Void] = []
        var waiters: [(id: UInt64, continuation: UnsafeContinuation<Value, any Error>)] = []
        var lastWaiterID: UInt64 = 0
    }

    init(loop: EventLoop?) {
        self.loop = loop
    }

    /// Bridges a callback API: makes a promise, hands it to `start` (which arranges for
    /// it to be completed later, e.g. from a completion closure) and returns its future.
    /// A promise `start` drops without completing fails the future with `.abandoned`.
    ///
    /// ```swift
    /// let future = Future<Int> { promise in connection.read(into: buffer) { try? promise.resolve($0) } }
    /// ```
    /// - Parameter loop: where callbacks run; the calling thread's loop when nil.
    public convenience init(on loop: EventLoop? = nil, _ start: (Promise<Value>) -> Void) {
        self.init(loop: loop ?? EventLoop.current)
        start(Promise(future: self))
    }

    /// Whether the promise has been completed (or failed, or abandoned).
    public var isComplete: Bool { state.withTSanVisibleLock { $0.result != nil } }

    /// The outcome, or nil while the promise is pending. Does not wait.
    public var result: Result<Value, any Error>? { state.withTSanVisibleLock { $0.result } }

    /// Calls `callback` with the outcome, on the future's loop thread, once the promise
    /// is completed: never inside this call or inside `complete`, even when the outcome
    /// is known already, so a callback never runs in the middle of its registrar's code.
    /// Callbacks registered before completion run in registration order.
    public func whenComplete(_ callback: @escaping @Sendable (Result<Value, any Error>) -> Void) {
        let known = state.withTSanVisibleLock { state -> Result<Value, any Error>? in
            if let result = state.result { return result }
            state.callbacks.append(callback)
            return nil
        }
        if let known { runOnLoop { callback(known) } }
    }

    /// The value once the promise is completed; what it failed with otherwise.
    ///
    /// Cancelling the awaiting task stops its wait with `CancellationError`; the promise
    /// stays pending, and other waiters and callbacks still receive its outcome.
    public var value: Value {
        get async throws {
            let (known, id) = state.withTSanVisibleLock { state -> (Result<Value, any Error>?, UInt64) in
                if let result = state.result { return (result, 0) }
                state.lastWaiterID &+= 1
                return (nil, state.lastWaiterID)
            }
            if let known { return try known.get() }
            return try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { continuation in
                    let known = state.withTSanVisibleLock { state -> Result<Value, any Error>? in
                        if let result = state.result { return result }
                        // Checked under the lock `onCancel` takes: a cancellation either
                        // is seen here or finds the waiter registered.
                        if Task.isCancelled { return .failure(CancellationError()) }
                        state.waiters.append((id, continuation))
                        return nil
                    }
                    if let known { continuation.resume(with: known) }
                }
            } onCancel: {
                let waiter = state.withTSanVisibleLock { state in
                    state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0).continuation }
                }
                waiter?.resume(throwing: CancellationError())
            }
        }
    }

    /// Records the outcome and wakes waiters and callbacks; false if it was recorded
    /// already (the first outcome stands).
    func resolve(_ result: Result<Value, any Error>) -> Bool {
        let taken = state.withTSanVisibleLock {
            state -> (
                callbacks: [@Sendable (Result<Value, any Error>) -> Void],
                waiters: [UnsafeContinuation<Value, any Error>]
            )? in
            guard state.result == nil else { return nil }
            state.result = result
            defer {
                state.callbacks = []
                state.waiters = []
            }
            return (state.callbacks, state.waiters.map(\.continuation))
        }
        guard let taken else { return false }
        // Awaiting tasks resume on their own executors (the loop, when pinned to it).
        for waiter in taken.waiters { waiter.resume(with: result) }
        if !taken.callbacks.isEmpty {
            runOnLoop { for callback in taken.callbacks { callback(result) } }
        }
        return true
    }

    /// Runs `body` in a task on the loop (on Swift's global pool once it has shut down,
    /// or when there is no loop).
    private func runOnLoop(_ body: @escaping @Sendable () -> Void) {
        Task(executorPreference: loop) { body() }
    }
}

/// The write side of a ``Future``: completes it exactly once.
///
/// Completing twice is a programming error and throws ``TorusError`` (`.promise`,
/// `.alreadyCompleted`); the first outcome stands. A promise dropped while pending fails
/// its future with `.abandoned`, so nobody waits forever for a value no one can send.
/// Thread-safe: complete it from any thread.
public final class Promise<Value: Sendable>: Sendable {
    /// The future this promise completes.
    public let future: Future<Value>

    /// A pending promise whose future runs callbacks on `loop` (the calling thread's
    /// loop when nil; Swift's global pool when there is none).
    public init(on loop: EventLoop? = nil) {
        future = Future(loop: loop ?? EventLoop.current)
    }

    init(future: Future<Value>) {
        self.future = future
    }

    deinit {
        _ = future.resolve(.failure(TorusError(.promise, .abandoned)))
    }

    /// Completes the future with `value`.
    /// - Throws: ``TorusError`` `.alreadyCompleted` when the promise was completed before.
    public func complete(_ value: Value) throws(TorusError) {
        try resolve(.success(value))
    }

    /// Fails the future with `error`.
    /// - Throws: ``TorusError`` `.alreadyCompleted` when the promise was completed before.
    public func fail(_ error: any Error) throws(TorusError) {
        try resolve(.failure(error))
    }

    /// Completes or fails the future with `result` (handy as a completion closure).
    /// - Throws: ``TorusError`` `.alreadyCompleted` when the promise was completed before.
    public func resolve(_ result: Result<Value, any Error>) throws(TorusError) {
        guard future.resolve(result) else { throw TorusError(.promise, .alreadyCompleted) }
    }
}

/// Awaits a value a callback API delivers: hands a new promise to `start` and waits for
/// it (the async side of ``Future/init(on:_:)``). Unlike a raw continuation, completing
/// twice throws instead of crashing, dropping the promise fails with `.abandoned`
/// instead of hanging, and cancelling the caller stops the wait.
///
/// ```swift
/// let count = try await withPromise { promise in
///     connection.read(into: buffer) { try? promise.resolve($0) }
/// }
/// ```
public func withPromise<Value: Sendable>(_ start: (Promise<Value>) -> Void) async throws -> Value {
    try await Future(start).value
}
