import SystemPackage

/// Why a Torus call failed, and which call it was.
///
/// Match on ``reason``: `.system(.connectionReset)`, `.system(.brokenPipe)`,
/// `.system(.connectionRefused)`, `.system(.addressInUse)`, `.system(.tooManyOpenFiles)`
/// and every other errno arrive as ``Reason/system(_:)``; ``Reason/timedOut`` is a
/// per-call timeout. Task cancellation throws `CancellationError` instead.
public struct TorusError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The call that failed.
    public enum Operation: String, Sendable {
        case eventLoop = "event loop"
        case nop, sleep, socket, bind, listen, accept, connect, resolve
        case read, write, shutdown, close, socketOption = "socket option", address
        case open, fsync, stat
        /// Watching signals (``Signals``).
        case signal
        case lock, semaphore, condition, event, queue
        /// Completing a ``Promise``.
        case promise
        /// ``withTimeout(_:_:)``: its body ran out of time.
        case withTimeout
    }

    /// What went wrong.
    public enum Reason: Hashable, Sendable {
        /// The kernel returned this errno.
        case system(Errno)
        /// The call's `timeout` elapsed first; the operation was cancelled.
        case timedOut
        /// The handle was closed (before or during the call).
        case closed
        /// An argument was out of range; the text says which.
        case invalidArgument(String)
        /// The loop is shutting down or has shut down.
        case loopShutDown
        /// A synchronous call was made off the handle's loop thread.
        case notOnLoop
        /// io_uring was asked for but cannot be used here; the text says why.
        case ioUringUnavailable(String)
        /// A host name had no usable address; the text is the resolver's message.
        case unresolvable(String)
        /// `Queue.putNowait` found the queue full.
        case full
        /// `Queue.getNowait` found the queue empty.
        case empty
        /// Released more times than acquired: a `BoundedSemaphore` above its initial
        /// value, a `Semaphore` above `Int.max`, an unlocked `Lock`, or
        /// `Queue.taskDone()` more often than items were put.
        case overReleased
        /// The ``Promise`` was completed already; a promise completes once.
        case alreadyCompleted
        /// The ``Promise`` was dropped without being completed, so nothing ever will.
        case abandoned
    }

    /// The call that failed.
    public var operation: Operation
    /// What went wrong.
    public var reason: Reason
    /// Where it happened, for the people who read the error (for `.notOnLoop`: the
    /// owning loop and the calling thread); "" when there is nothing to add. Not part of
    /// equality: two errors with the same operation and reason are equal.
    public var context: String

    /// An error for `operation` with `reason`, and `context` to say where.
    public init(_ operation: Operation, _ reason: Reason, context: String = "") {
        self.operation = operation
        self.reason = reason
        self.context = context
    }

    /// Same operation and same reason; ``context`` is not compared.
    public static func == (lhs: TorusError, rhs: TorusError) -> Bool {
        lhs.operation == rhs.operation && lhs.reason == rhs.reason
    }

    /// Hashes the operation and the reason (not ``context``), as ``==`` compares them.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(operation)
        hasher.combine(reason)
    }

    /// The errno, when the kernel reported one.
    public var errno: Errno? {
        if case .system(let errno) = reason { return errno }
        return nil
    }

    /// Whether the process or the kernel ran out of descriptors, buffers or memory
    /// (EMFILE, ENFILE, ENOBUFS, ENOMEM): waiting, not another try at once, may cure it.
    public var isResourceExhaustion: Bool { errno.map(Self.isResourceExhaustion) ?? false }

    /// Whether `errno` is one of the exhaustion errors of ``isResourceExhaustion``.
    static func isResourceExhaustion(_ errno: Errno) -> Bool {
        switch errno {
        case .tooManyOpenFiles, .tooManyOpenFilesInSystem, .noBufferSpace, .noMemory: true
        default: false
        }
    }

    /// One line naming the operation, the reason and the context, e.g. `read failed:
    /// Connection reset by peer`.
    public var description: String {
        context.isEmpty ? summary : "\(summary) (\(context))"
    }

    private var summary: String {
        switch reason {
        case .system(let errno): "\(operation.rawValue) failed: \(errno)"
        case .timedOut: "\(operation.rawValue) timed out"
        case .closed: "\(operation.rawValue) on a closed handle"
        case .invalidArgument(let text): "\(operation.rawValue): invalid argument: \(text)"
        case .loopShutDown: "\(operation.rawValue): the event loop is shut down"
        case .ioUringUnavailable(let why): "\(operation.rawValue): io_uring unavailable: \(why)"
        case .notOnLoop: "\(operation.rawValue) must run on its event loop's thread"
        case .unresolvable(let text): "\(operation.rawValue) failed: \(text)"
        case .full: "\(operation.rawValue) is full"
        case .empty: "\(operation.rawValue) is empty"
        case .overReleased:
            operation == .queue
                ? "queue: taskDone() called more times than items were put"
                : "\(operation.rawValue) released more times than it was acquired"
        case .alreadyCompleted: "\(operation.rawValue): already completed"
        case .abandoned: "\(operation.rawValue): dropped without being completed"
        }
    }
}
