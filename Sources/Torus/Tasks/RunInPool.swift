import Glibc

/// Runs blocking `body` on a shared thread pool and returns its result, so the loop
/// thread keeps serving other tasks meanwhile: the talk's `run_in_executor`, for calls
/// that cannot be made asynchronous (a blocking library, `getaddrinfo`, CPU-heavy work).
///
/// The pool is process-wide, min(32, CPUs + 4) threads (Python's default), started on
/// first use. The caller resumes on its own executor: the loop, when it is pinned there.
/// Cancelling the caller stops its wait with `CancellationError`; `body` itself cannot
/// be interrupted: it runs to its end and its result is dropped.
public func runInPool<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    let promise = Promise<Value>()
    sharedWorkerPool.submit(PoolJob { _ = promise.future.resolve(Result(catching: body)) })
    return try await promise.future.value
}

/// A closure for the shared pool.
private struct PoolJob: PoolWork {
    let body: @Sendable () -> Void

    func perform() { body() }
}

private let sharedWorkerPool = WorkerPool<PoolJob>(
    threads: min(32, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) + 4), name: "torus-pool")
