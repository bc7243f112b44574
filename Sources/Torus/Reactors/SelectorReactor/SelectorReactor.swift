import CLiburing
import Glibc
import SystemPackage

/// The epoll reactor: "tell me when I may try" (the talk's selector loop).
///
/// Descriptors are non-blocking. An operation tries its system call first; on EAGAIN
/// its task waits here for readiness and tries again when the loop wakes it.
///
/// Edge-triggered (EPOLLET), registered once for input: a waiting read is woken by the
/// edge that follows its EAGAIN, so steady-state reads need no `epoll_ctl` at all.
/// Readiness is remembered per descriptor (as tokio does): a read that came back short
/// drained the socket, so the next read waits for an edge without first making the
/// `recv` that would only return EAGAIN (one system call of three per echo round trip).
/// Output interest is added only while a write waits and dropped when it is woken: a
/// socket registered for EPOLLOUT reports an edge on every ACK that frees send buffer,
/// which in ping-pong traffic doubled the events each `epoll_wait` returned (measured:
/// 7.7 µs against C's 5.8 µs of server CPU per echo round trip). Level-triggered would
/// need the same MOD calls and re-report drained descriptors on every wait.
/// Timers live in the loop's heap (``TimerQueue``), which bounds each wait; regular
/// files go to a ``BlockingPool``. Confined to the loop thread, except the pool: the
/// `@exclusivity(unchecked)` state is never accessed by two overlapping calls.
///
/// How an operation runs here: SelectorReactor+Operations.swift (a task's: try, wait,
/// try again) and SelectorReactor+Sinks.swift (no task: multishot and served
/// connections' operations, driven by readiness edges).
final class SelectorReactor: Reactor {
    /// Who waits on one descriptor.
    private struct Waiters {
        var registered = false
        /// No read has found the descriptor drained since its last readable edge (or
        /// since registration): a read should try its call before waiting.
        var mayRead = true
        /// The peer closed its side, or the socket failed (EPOLLRDHUP, HUP, ERR): reads
        /// always try, since no edge follows the end of stream a short read stopped at.
        var readClosed = false
        /// Output interest is registered (a write or connect waits).
        var watchingOutput = false
        /// Operations waiting to read.
        var readers = ReadinessWaiters()
        /// Operations waiting to write or connect.
        var writers = ReadinessWaiters()
        /// A multishot operation (accept) that drains the descriptor on every edge.
        var multishot: OperationID?
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    @exclusivity(unchecked) private var waiters: [Waiters] = []
    private let events: UnsafeMutablePointer<epoll_event>
    /// `epoll_pwait2` (nanosecond timeouts) works here; else `epoll_wait`.
    private var hasPwait2 = true
    private static let eventBatch: Int32 = 256
    let pool: BlockingPool
    /// Multishot operations to drive again next turn (they used up their budget), and
    /// the list being driven now (SelectorReactor+Sinks.swift).
    @exclusivity(unchecked) var pendingMultishots: [OperationID] = []
    @exclusivity(unchecked) var resumingMultishots: [OperationID] = []
    /// `epoll_wait` calls.
    private(set) var waits: UInt64 = 0
    /// Every system call the reactor and its operations made on the loop thread.
    private(set) var systemCalls: UInt64 = 0

    init(wakeFD: Int32, configuration: EventLoop.Configuration) throws(Errno) {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        if epollFD < 0 { throw Errno(rawValue: Glibc.errno) }
        self.wakeFD = wakeFD
        events = .allocate(capacity: Int(Self.eventBatch))
        pool = BlockingPool(threads: configuration.blockingPoolThreads, name: configuration.threadName)
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        if epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event) != 0 {
            let error = Errno(rawValue: Glibc.errno)
            close(epollFD)
            throw error
        }
    }

    deinit {
        events.deallocate()
        close(epollFD)
    }

    /// Points the blocking pool at its loop, before any call can reach the pool (the
    /// wake eventfd was registered at init).
    func begin(on loop: EventLoop) throws(Errno) { pool.loop = loop }

    /// Multishot operations that used up their budget go on next turn, without waiting.
    var hasReadyWork: Bool { !pendingMultishots.isEmpty }

    /// Sockets are non-blocking: their calls are tried and return EAGAIN.
    var socketTypeFlags: Int32 { Int32(SOCK_NONBLOCK.rawValue) }

    /// Drops `fd`'s registration and waiters (the caller cancelled them already),
    /// without collecting them.
    func forget(_ fd: Int32) {
        let index = Int(fd)
        if index < waiters.count { waiters[index] = Waiters() }
    }

    /// Lets the pool threads finish and exit.
    func end() { pool.stop() }

    func record(into statistics: inout LoopStatistics) {
        statistics.kernelEnters = waits
        statistics.systemCalls = systemCalls
    }

    /// Counts system calls an operation's attempt made.
    @inline(__always)
    func countSystemCall() { systemCalls &+= 1 }

    /// Whether a read on `fd` should try its call now, rather than wait for an edge.
    @inline(__always)
    func mayRead(_ fd: Int32) -> Bool { waiters[Int(fd)].mayRead || isReadClosed(fd) }

    /// Whether the peer closed its side of `fd` or the socket failed: no edge will come
    /// after what a read has not yet seen.
    @inline(__always)
    func isReadClosed(_ fd: Int32) -> Bool { waiters[Int(fd)].readClosed }

    /// A read on `fd` returned EAGAIN or a short count: the next read waits for the
    /// edge that new data brings (edge-triggered epoll queues it even while nobody
    /// waits, and ``pump(_:until:)`` sets the hint again).
    @inline(__always)
    func markDrained(_ fd: Int32) { waiters[Int(fd)].mayRead = false }

    /// Registers `fd` with epoll the first time an operation waits on it.
    @inline(__always)
    func register(_ fd: Int32) -> Int32 {
        let index = Int(fd)
        if index >= waiters.count {
            waiters.append(contentsOf: repeatElement(Waiters(), count: max(index + 1 - waiters.count, 256)))
        }
        if waiters[index].registered { return 0 }
        if control(EPOLL_CTL_ADD, fd, output: false) != 0 && Glibc.errno != EEXIST { return -Glibc.errno }
        waiters[index].registered = true
        return 0
    }

    private func control(_ operation: Int32, _ fd: Int32, output: Bool) -> Int32 {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue | (output ? EPOLLOUT.rawValue : 0)
        event.data.fd = fd
        systemCalls &+= 1
        return epoll_ctl(epollFD, operation, fd, &event)
    }

    /// Makes `id` a waiter woken when `fd` becomes ready for `interest`. A write adds
    /// output interest; the kernel reports the current state at once, so an edge that
    /// came before cannot be missed. `isLive` tells waiters that ended without an edge
    /// (cancelled, timed out), which are dropped.
    func wait(
        on fd: Int32, for interest: SelectorPlan.Interest, id: OperationID, isLive: (OperationID) -> Bool
    ) {
        let index = Int(fd)
        switch interest {
        case .readable:
            waiters[index].readers.add(id, isLive: isLive)
        case .writable:
            waiters[index].writers.add(id, isLive: isLive)
            if !waiters[index].watchingOutput {
                waiters[index].watchingOutput = true
                _ = control(EPOLL_CTL_MOD, fd, output: true)
            }
        }
    }

    /// Makes `id` the multishot operation that drains `fd` on each readable edge.
    func setMultishot(on fd: Int32, id: OperationID) {
        waiters[Int(fd)].multishot = id
    }

    /// Forgets the multishot operation on `fd` if it is `id` (a callback operation
    /// waiting on the same descriptor may end without ending it).
    func clearMultishot(on fd: Int32, id: OperationID) {
        let index = Int(fd)
        if index < waiters.count, waiters[index].multishot == id { waiters[index].multishot = nil }
    }

    /// The waiters on `fd`, which is being closed; its registration is forgotten.
    func removeWaiters(on fd: Int32) -> [OperationID] {
        let index = Int(fd)
        guard index < waiters.count else { return [] }
        let entry = waiters[index]
        forget(fd)
        return entry.readers.all + entry.writers.all + (entry.multishot.map { [$0] } ?? [])
    }

    /// Waits for readiness until `deadline` (CLOCK_BOOTTIME nanoseconds: one already
    /// passed polls, `.max` waits for an event however long), then wakes the waiters of
    /// each ready descriptor (``wake(_:loop:)``), drives its multishot operation, and
    /// hands a wake-up to the loop; then drives the multishot operations left from last
    /// turn. Returns the events handled.
    func pump(_ loop: EventLoop, until deadline: UInt64) -> Int {
        var timeout = timespec(tv_sec: 0, tv_nsec: 0)
        let forever = deadline == .max
        if !forever && deadline > 0 {
            let wait = BootClock.nanoseconds(until: deadline)
            timeout = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
        }
        waits &+= 1
        systemCalls &+= 1
        var count: Int32
        if hasPwait2 {
            count =
                forever
                ? epoll_pwait2(epollFD, events, Self.eventBatch, nil, nil)
                : epoll_pwait2(epollFD, events, Self.eventBatch, &timeout, nil)
            if count < 0 && (Glibc.errno == ENOSYS || Glibc.errno == EPERM) {
                // Before Linux 5.11, or filtered by seccomp: millisecond timeouts instead.
                hasPwait2 = false
                count = 0
            }
        } else {
            let milliseconds =
                forever ? -1 : Int32(clamping: (timeout.tv_sec * 1000) + (timeout.tv_nsec + 999_999) / 1_000_000)
            count = epoll_wait(epollFD, events, Self.eventBatch, milliseconds)
        }
        var handled = 0
        if count > 0 {
            for index in 0..<Int(count) {
                let event = events[index]
                let fd = event.data.fd
                if fd == wakeFD {
                    var drained: UInt64 = 0
                    _ = read(wakeFD, &drained, 8)
                    loop.handleWake()
                    continue
                }
                let index = Int(fd)
                guard index < waiters.count else { continue }
                let flags = event.events
                let readable = flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue)
                let writable = flags & (EPOLLOUT.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue)
                if readable != 0 {
                    waiters[index].mayRead = true
                    if flags & (EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                        waiters[index].readClosed = true
                    }
                    var woken = waiters[index].readers.takeAll()
                    woken.wakeAll { wake($0, loop: loop) }
                    waiters[index].readers.reuseStorage(of: &woken)
                    if let id = waiters[index].multishot { driveMultishot(id, loop: loop) }
                }
                if writable != 0, !waiters[index].writers.isEmpty {
                    var woken = waiters[index].writers.takeAll()
                    woken.wakeAll { wake($0, loop: loop) }
                    waiters[index].writers.reuseStorage(of: &woken)
                    // Output interest stays while a woken callback send waits again (it
                    // found the socket full once more): the next edge is its.
                    if waiters[index].writers.isEmpty && waiters[index].watchingOutput {
                        waiters[index].watchingOutput = false
                        _ = control(EPOLL_CTL_MOD, fd, output: false)
                    }
                }
                handled += 1
            }
        }
        resumePendingMultishots(loop)
        return handled
    }

    /// A waiter's descriptor is ready. A task's waiter resumes; a sink's operation tries
    /// its call again and, unless that finds EAGAIN (it then waits for the next edge),
    /// frees its slot and hands the result to its sink.
    func wake(_ id: OperationID, loop: EventLoop) {
        guard let slot = loop.slots.slot(for: id) else { return }
        guard let sink = slot.pointee.sink, let operation = slot.pointee.sinkOperation else {
            loop.resumeWaiter(id, result: 0)
            return
        }
        guard case .whenReady(let fd, let interest) = operation.selectorPlan else { return }
        var state = AttemptState()
        guard let result = attempt(operation, &state, fd: fd, interest: interest) else {
            wait(on: fd, for: interest, id: id) { loop.slots.slot(for: $0) != nil }
            return
        }
        loop.slots.release(id.index)
        sink.handle(result: result, flags: 0, of: id, loop: loop)
    }
}
