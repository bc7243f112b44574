/// A few threads that make blocking calls (regular-file I/O) for a selector loop, as
/// SwiftNIO's NonBlockingFileIO does: epoll reports regular files as always ready, so
/// their reads would otherwise block the loop. Threads start on first use.
final class BlockingPool: Sendable {
    /// A queued call: a value, so queueing it allocates nothing.
    private struct Call: PoolWork {
        var call: any BlockingCall
        var id: OperationID
        /// The loop owns the pool and stops it before going away, hence unowned.
        unowned(unsafe) let loop: EventLoop

        func perform() { loop.postPoolResult(id, result: call.perform()) }
    }

    private let workers: WorkerPool<Call>
    /// Set once as the loop thread starts (``SelectorReactor/begin(on:)``), before any
    /// call is queued; the loop owns the pool and stops it before going away, hence
    /// unowned.
    nonisolated(unsafe) unowned(unsafe) var loop: EventLoop!

    init(threads: Int, name: String) {
        workers = WorkerPool(threads: threads, name: "\(name)-io")
    }

    /// Queues `call`; its result is posted to the loop as the completion of `id`.
    func submit(_ call: any BlockingCall, id: OperationID) {
        workers.submit(Call(call: call, id: id, loop: loop))
    }

    /// Lets the threads finish what is queued and exit.
    func stop() { workers.stop() }
}
