import CLiburing
import DequeModule
import Dispatch
import Synchronization

/// One unit of work a ``WorkerPool`` thread performs.
protocol PoolWork: Sendable {
    /// Does the work, blocking the pool thread as long as it needs.
    func perform()
}

/// A few threads that take work from a FIFO queue and may block while doing it. Threads
/// start on first use. The selector loop's ``BlockingPool`` (regular-file I/O) and
/// ``runInPool(_:)`` (the talk's `run_in_executor`) are both built on it; the work type
/// is generic so queueing a blocking call allocates nothing.
final class WorkerPool<Work: PoolWork>: Sendable {
    private struct State: ~Copyable {
        var queue = Deque<Work>()
        var threadsStarted = false
        var stopping = false
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let threadCount: Int
    private let name: String

    /// A pool of `threads` threads (at least one), named `name` followed by their index.
    init(threads: Int, name: String) {
        threadCount = max(1, threads)
        self.name = name
    }

    /// Queues `work` for the next free thread.
    func submit(_ work: Work) {
        let start = state.withTSanVisibleLock { state in
            state.queue.append(work)
            defer { state.threadsStarted = true }
            return !state.threadsStarted
        }
        if start {
            for index in 0..<threadCount {
                startDetachedThread(name: "\(name)\(index)") { self.work() }
            }
        }
        available.signal()
    }

    /// Lets the threads finish what is queued and exit.
    func stop() {
        let started = state.withTSanVisibleLock { state in
            state.stopping = true
            return state.threadsStarted
        }
        if started { for _ in 0..<threadCount { available.signal() } }
    }

    private func work() {
        while true {
            available.wait()
            let next = state.withTSanVisibleLock { state -> Work? in
                if let work = state.queue.popFirst() { return work }
                return nil
            }
            guard let next else {
                if state.withTSanVisibleLock({ $0.stopping }) { return }
                continue
            }
            next.perform()
        }
    }
}

/// Starts a detached, named thread that runs `body`.
private func startDetachedThread(name: String, _ body: @escaping @Sendable () -> Void) {
    let start = ThreadStart(name: name, body: body)
    var handle = pthread_t()
    let context = Unmanaged.passRetained(start).toOpaque()
    pthread_create(
        &handle, nil,
        { context in
            let start = Unmanaged<ThreadStart>.fromOpaque(context!).takeRetainedValue()
            torus_set_thread_name(start.name)
            start.body()
            return nil
        }, context)
    pthread_detach(handle)
}

/// What a new pool thread needs, passed through `pthread_create`'s context pointer.
private final class ThreadStart: Sendable {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
