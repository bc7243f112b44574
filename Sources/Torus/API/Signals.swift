import CLiburing
import Glibc
import Synchronization
import SystemPackage

/// The signals a process receives, as an async sequence read on an ``EventLoop``: a
/// signalfd the loop owns, read with the loop's reactor (an io_uring read, or epoll
/// readiness and `read(2)`), no thread and no pipe of its own.
///
/// ```swift
/// let signals = try await Signals([.terminate, .interrupt, .hangup], on: loop)
/// for await signal in signals {
///     if signal == .hangup {
///         reloadConfiguration()
///         continue
///     }
///     await server.stop()  // SIGTERM or Ctrl-C: stop gracefully
///     break
/// }
/// await signals.close()  // SIGTERM and SIGINT end the process again from here on
/// ```
///
/// ## Signal masks: why no setup is needed in `main`
///
/// A signalfd sees only a signal that is pending, that is, blocked by the thread it was
/// sent to: the kernel hands a process-directed signal to any thread that does not
/// block it, and there the default action (for SIGTERM: the process ends) runs. Threads
/// inherit the mask of their creator, so blocking in every thread means blocking first
/// thing in `main`, before any thread starts, which a program whose `main` is async (an
/// `AsyncParsableCommand`, say) cannot do: Swift's runtime and Dispatch start threads
/// before the first line of `run()`. So `Signals` makes the rule hold by itself:
/// - its loop thread blocks the watched signals (loop threads block SIGINT, SIGTERM,
///   SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 from their start; others are blocked there
///   when watched, and stay blocked on that thread);
/// - while the sequence lives, each watched signal's handler forwards it (`tgkill`) to
///   that loop thread, where it stays pending for the signalfd. So a signal the kernel
///   gives to any thread reaches the sequence; one sent while every thread blocks it is
///   read from the process's pending set directly.
///
/// When the sequence ends, the signals' previous dispositions are restored and what is
/// still pending for them is discarded; a signal that arrives later gets its previous
/// disposition (by default, SIGTERM and SIGINT end the process again).
///
/// One sequence watches a signal at a time in a process (a second one for the same
/// signal throws). Signals sent faster than the sequence is iterated may merge: the
/// kernel keeps one pending instance of each standard signal.
///
/// ## Ending
///
/// The iteration ends (returns nil) when the iterating task is cancelled, when
/// ``close()`` is called, or when the loop shuts down; the signalfd is closed and the
/// signals released then. A sequence that nobody iterates keeps its signals until it is
/// closed or dropped, even past its loop's shutdown (they are forwarded to a thread that
/// is gone, so lost): close it.
public final class Signals: AsyncSequence, Sendable {
    /// A watched signal, as it arrived.
    public typealias Element = Signal
    /// Iterating never throws; it ends instead.
    public typealias Failure = Never

    /// The loop that reads the signalfd.
    public let loop: EventLoop
    /// The signals watched.
    public let signals: Set<Signal>
    private let watch: SignalWatch

    /// Starts watching `signals` on `loop` (the current loop when nil): from the return
    /// on, they are delivered to this sequence instead of their previous dispositions.
    ///
    /// - Throws: ``TorusError`` `.signal`: `.invalidArgument` for no signal, one that
    ///   cannot be watched (SIGKILL and SIGSTOP cannot be caught; faults such as SIGSEGV
    ///   belong to the thread that caused them; 32 and 33 are glibc's; numbers outside
    ///   1...64), or one another sequence watches; `.notOnLoop` without a loop;
    ///   `.loopShutDown`; `.system` when `signalfd` fails (`.tooManyOpenFiles`, ...).
    public init(_ signals: Set<Signal>, on loop: EventLoop? = nil) async throws {
        guard !signals.isEmpty else { throw TorusError(.signal, .invalidArgument("no signal to watch")) }
        for signal in signals.sorted(by: { $0.rawValue < $1.rawValue }) {
            if let reason = signal.unwatchableReason { throw TorusError(.signal, .invalidArgument(reason)) }
        }
        let loop = try EventLoop.resolve(loop, for: .signal)
        self.loop = loop
        self.signals = signals
        self.watch = try await Self.watch(signals, on: loop)
    }

    /// Opens the watch on `loop`'s thread. Not inlined: Swift 6.3.1's release build
    /// crashed (signal 11 in LLVM's coroutine splitting, swifterror handling) compiling
    /// this initializer with it inlined, as for `EventLoop.sleep(for:)`.
    @inline(never)
    private static func watch(_ signals: Set<Signal>, on loop: EventLoop) async throws -> SignalWatch {
        try await loop.onLoop(.signal) { try SignalWatch(signals, on: loop) }
    }

    deinit {
        guard !watch.isClosed else { return }
        let watch = watch
        Task { await watch.close() }
    }

    /// Stops watching: closes the signalfd, restores the signals' previous dispositions
    /// and ends the iteration. Call from any task; again to no effect.
    public func close() async {
        await watch.close()
    }

    /// An iterator over the signals as they arrive.
    public func makeAsyncIterator() -> Iterator {
        Iterator(signals: self)
    }

    /// Waits for the next signal; nil once the sequence has ended.
    public struct Iterator: AsyncIteratorProtocol {
        /// The sequence, kept alive while iterated; nil once it ended.
        private var signals: Signals?
        /// Where reads put a `signalfd_siginfo`: made once, so waiting allocates nothing.
        private let info = SignalInfoBuffer()

        init(signals: Signals) { self.signals = signals }

        /// The next signal to arrive, or nil when the task was cancelled, the sequence
        /// closed or the loop shut down (the signalfd is closed then).
        public mutating func next() async -> Signal? {
            guard let signals else { return nil }
            if let signal = await signals.watch.next(into: info) { return signal }
            self.signals = nil
            return nil
        }
    }
}

/// The signalfd of a ``Signals`` and its claim on the signals. Sendable: `let`s of
/// Sendable types; the descriptor is used on the loop thread only.
final class SignalWatch: Sendable {
    let loop: EventLoop
    let signals: Set<Signal>
    private let descriptor: Descriptor
    /// Set once by ``close()``: the claim is released once.
    private let closed = Atomic(false)

    /// Blocks `signals` on the loop thread, claims them for it and opens the signalfd.
    /// Called on the loop thread.
    init(_ signals: Set<Signal>, on loop: EventLoop) throws(TorusError) {
        try loop.checkUsable(.signal)
        var mask = signals.mask
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        try SignalClaims.claim(signals, forwardingTo: torus_thread_id())
        // Non-blocking on both reactors: epoll needs it, and io_uring then polls the
        // descriptor and retries the read on the loop thread, whose own pending signals
        // (the forwarded ones) a signalfd read sees; a blocking read may go to a kernel
        // worker thread instead, which sees only the process's.
        let fd = signalfd(-1, &mask, Int32(SFD_CLOEXEC) | Int32(SFD_NONBLOCK))
        guard fd >= 0 else {
            let error = TorusError(.signal, .system(Errno(rawValue: errno)))
            SignalClaims.release(signals)
            throw error
        }
        do {
            descriptor = try Descriptor.adopt(fd, on: loop, for: .signal)
        } catch {
            SignalClaims.release(signals)
            throw error
        }
        self.loop = loop
        self.signals = signals
    }

    /// Whether ``close()`` has begun.
    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Reads the next signal into `info`; on any failure (cancellation, close, shutdown)
    /// closes and returns nil.
    func next(into info: SignalInfoBuffer) async -> Signal? {
        do {
            return try await loop.onLoop(.signal) {
                // The caller holds `info` until the read returns, and a cancelled read
                // returns only once the kernel let go of the buffer.
                let buffer = info.bytes
                let count = try await descriptor.perform(.signal) { PollableRead(fd: $0, buffer: buffer) }
                guard count == buffer.count else { throw TorusError(.signal, .system(.ioError)) }
                return Signal(rawValue: Int32(info.pointer.pointee.ssi_signo))
            }
        } catch {
            await close()
            return nil
        }
    }

    /// Closes the signalfd (cancelling a read in flight), puts the signals' previous
    /// dispositions back, then discards what is pending for them on the loop thread (a
    /// forwarded signal nobody will read). Once; later calls return at once.
    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let onLoop: Void? = try? await loop.onLoop(.signal) {
            try? await descriptor.close()
            SignalClaims.release(signals)
            discardPending()
        }
        // The loop has shut down (and closed the signalfd): only the claim is left.
        if onLoop == nil { SignalClaims.release(signals) }
    }

    /// Takes the watched signals pending for the calling thread (a loop thread that
    /// blocks them) without waiting.
    private func discardPending() {
        var mask = signals.mask
        var noWait = timespec()
        while sigtimedwait(&mask, nil, &noWait) > 0 {}
    }
}

/// One `signalfd_siginfo` (128 bytes) that an iterator reads into, freed with it.
/// @unchecked Sendable: only the iterator that owns it reads into it, one read at a time
/// (`next()` is `mutating`).
final class SignalInfoBuffer: @unchecked Sendable {
    let pointer = UnsafeMutablePointer<signalfd_siginfo>.allocate(capacity: 1)

    /// The buffer as bytes, for the read.
    var bytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: pointer, count: MemoryLayout<signalfd_siginfo>.size)
    }

    deinit { pointer.deallocate() }
}
