import CLiburing
import SystemPackage

/// A file descriptor owned by a loop: registered while open, so shutdown can close
/// whatever the program left open, and marked closed before the kernel closes it, so a
/// handle used after close fails clearly instead of touching a reused descriptor.
final class Descriptor: @unchecked Sendable {
    // @unchecked Sendable: all state is read and written on the owning loop's thread;
    // other threads only hold the reference (to send it back to the loop).
    private(set) var fd: Int32
    /// unowned(unsafe): the loop's registry owns the descriptor, so the loop outlives it;
    /// a checked `unowned` costs an atomic retain and release on every operation.
    unowned(unsafe) let loop: EventLoop
    /// Operations in flight on this descriptor; close cancels them and waits for them.
    @exclusivity(unchecked) var inFlight = 0
    /// A close waiting for the operations in flight to finish.
    @exclusivity(unchecked) private var drainWaiter: OperationID?
    /// The callback state of a connection served by a handler
    /// (``TCPConnection/serve(with:)``). It references the connection, and so this
    /// descriptor, back: the cycle keeps a served connection alive without a task, and
    /// ends when the descriptor closes or the loop exits.
    @exclusivity(unchecked) var stream: ConnectionStream?

    /// Takes ownership of a new `fd` for `operation`: registers it, or closes it and
    /// throws `.loopShutDown` when the loop began shutting down meanwhile (shutdown has
    /// already collected what it will close). Called on the loop thread.
    static func adopt(_ fd: Int32, on loop: EventLoop, for operation: TorusError.Operation) throws(TorusError)
        -> Descriptor
    {
        guard !loop.isShuttingDown else {
            CLiburing.close(fd)
            throw TorusError(operation, .loopShutDown)
        }
        return Descriptor(fd: fd, loop: loop)
    }

    /// Registers `fd` with `loop`. Called on the loop thread.
    init(fd: Int32, loop: EventLoop) {
        self.fd = fd
        self.loop = loop
        loop.descriptors[fd] = self
    }

    /// The descriptor's number, or `.closed` for `operation` once closed.
    @inline(__always)
    func usableFD(for operation: TorusError.Operation) throws(TorusError) -> Int32 {
        guard fd >= 0 else { throw TorusError(operation, .closed) }
        return fd
    }

    /// Runs an operation on the descriptor, counting it in flight.
    @inline(__always)
    nonisolated(nonsending) func perform<Operation: IOOperation>(
        _ operation: TorusError.Operation, timeout: Duration? = nil, _ make: (Int32) -> Operation
    ) async throws -> Int32 {
        try await complete(operation, timeout: timeout, make).value(operation, loop: loop)
    }

    /// Runs an operation on the descriptor, counting it in flight, and returns its raw
    /// completion (for callers that read its flags, such as a selected buffer's ID).
    @inline(__always)
    nonisolated(nonsending) func complete<Operation: IOOperation>(
        _ operation: TorusError.Operation, timeout: Duration? = nil, _ make: (Int32) -> Operation
    ) async throws(TorusError) -> Completion {
        let fd = try begin(operation)
        let completion = await loop.submit(make(fd), timeout: timeout)
        end()
        return completion
    }

    /// Counts an operation in flight on the descriptor and returns the descriptor, or
    /// throws when it is closed or the loop shuts down. ``end()`` pairs with it: a close
    /// waits for the operations begun and not yet ended.
    @inline(__always)
    func begin(_ operation: TorusError.Operation) throws(TorusError) -> Int32 {
        let fd = try usableFD(for: operation)
        try loop.checkUsable(operation)
        inFlight += 1
        return fd
    }

    /// An operation counted by ``begin(_:)`` has completed; the last one lets a waiting
    /// close go on.
    @inline(__always)
    func end() {
        inFlight -= 1
        if inFlight == 0, let drainWaiter {
            self.drainWaiter = nil
            loop.resumeWaiter(drainWaiter, result: 0)
        }
    }

    /// Cancels operations in flight on the descriptor, waits until the kernel (or a pool
    /// thread) is done with them, then closes it, even in a cancelled task: the number
    /// is never freed for reuse while a queued call could still use it. Later use, and a
    /// second close, throw `.closed`.
    func close() async throws {
        let fd = try usableFD(for: .close)
        self.fd = -1
        stream = nil
        loop.descriptors[fd] = nil
        if inFlight > 0 {
            await loop.cancelOperations(on: fd)
            if inFlight > 0 { _ = await loop.suspendAsWaiter(cancellable: false) { drainWaiter = $0 } }
        }
        loop.forget(fd)
        let result = await loop.submit(Close(fd: fd), cancellable: false).result
        if result < 0 { throw TorusError(.close, .system(Errno(rawValue: -result))) }
    }

    /// Lets go of the descriptor without closing it, for another loop to adopt (a
    /// connection handed off): it leaves this loop's registry and reactor, and this handle
    /// fails with `.closed` from now on. Nil, and nothing changes, while an operation is
    /// in flight or the descriptor is served, closed or shutting down with its loop.
    func detach() -> Int32? {
        guard fd >= 0, inFlight == 0, stream == nil, !loop.isShuttingDown else { return nil }
        let detached = fd
        fd = -1
        loop.descriptors[detached] = nil
        loop.forget(detached)
        return detached
    }

    /// Closes synchronously, with no operation in flight on it: at the loop's exit, or
    /// when setting up a socket failed before any operation started.
    func closeNow() {
        stream = nil
        guard fd >= 0 else { return }
        loop.forget(fd)
        CLiburing.close(fd)
        fd = -1
    }

    /// Closes, on its loop, a descriptor whose handle was dropped without `close()`.
    /// Called from `deinit`, on any thread.
    static func closeAbandoned(_ descriptor: Descriptor) {
        let loop = descriptor.loop
        guard !loop.isShuttingDown else { return }
        // Usually dropped on the loop thread after close(): no task needed (one per
        // connection, 1.4 KB of heap, measured).
        if loop.isCurrent && descriptor.fd < 0 { return }
        Task(executorPreference: loop) {
            // After shutdown the task runs elsewhere, and shutdown closed the fd already.
            guard loop.isCurrent, descriptor.fd >= 0 else { return }
            try? await descriptor.close()
        }
    }
}

extension Completion {
    /// The result as a count or descriptor, or the error it stands for.
    @inline(__always)
    func value(_ operation: TorusError.Operation, loop: EventLoop) throws -> Int32 {
        if result >= 0 { return result }
        if cancelled {
            if Task.isCancelled { throw CancellationError() }
            if loop.isShuttingDown { throw TorusError(operation, .loopShutDown) }
        }
        if timedOut { throw TorusError(operation, .timedOut) }
        if result == -ECANCELED { throw TorusError(operation, .closed) }
        throw TorusError(operation, .system(Errno(rawValue: -result)))
    }
}
