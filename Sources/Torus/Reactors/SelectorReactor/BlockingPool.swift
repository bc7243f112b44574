import CLiburing
import DequeModule
import Dispatch
import Synchronization

/// A few threads that make blocking calls (regular-file I/O) for a selector loop, as
/// SwiftNIO's NonBlockingFileIO does: epoll reports regular files as always ready, so
/// their reads would otherwise block the loop. Threads start on first use.
final class BlockingPool: Sendable {
    private struct Work {
        var call: BlockingCall
        var id: OperationID
    }

    private struct State: ~Copyable {
        var queue = Deque<Work>()
        var threadsStarted = false
        var stopping = false
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let threadCount: Int
    private let name: String
    /// Set once by the loop before its thread starts; the loop owns the pool and stops
    /// it before going away, hence unowned.
    nonisolated(unsafe) unowned(unsafe) var loop: EventLoop!

    init(threads: Int, name: String) {
        threadCount = max(1, threads)
        self.name = name
    }

    /// Queues `call`; its result is posted to the loop as the completion of `id`.
    func submit(_ call: BlockingCall, id: OperationID) {
        let start = state.withLock { state in
            state.queue.append(Work(call: call, id: id))
            defer { state.threadsStarted = true }
            return !state.threadsStarted
        }
        if start {
            for index in 0..<threadCount { startThread(index) }
        }
        available.signal()
    }

    /// Lets the threads finish what is queued and exit.
    func stop() {
        let started = state.withLock { state in
            state.stopping = true
            return state.threadsStarted
        }
        if started { for _ in 0..<threadCount { available.signal() } }
    }

    private func startThread(_ index: Int) {
        let thread = Thread(pool: self, name: "\(name)-io\(index)")
        var handle = pthread_t()
        let context = Unmanaged.passRetained(thread).toOpaque()
        pthread_create(
            &handle, nil,
            { context in
                let thread = Unmanaged<Thread>.fromOpaque(context!).takeRetainedValue()
                torus_set_thread_name(thread.name)
                thread.pool.work()
                return nil
            }, context)
        pthread_detach(handle)
    }

    private func work() {
        while true {
            available.wait()
            let next = state.withLock { state -> Work? in
                if let work = state.queue.popFirst() { return work }
                return nil
            }
            guard let next else {
                if state.withLock({ $0.stopping }) { return }
                continue
            }
            loop.postCompletion(next.id, result: next.call.perform())
        }
    }

    private final class Thread: Sendable {
        let pool: BlockingPool
        let name: String

        init(pool: BlockingPool, name: String) {
            self.pool = pool
            self.name = name
        }
    }
}
