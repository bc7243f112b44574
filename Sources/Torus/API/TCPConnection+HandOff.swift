import CLiburing
import Glibc
import Logging

extension TCPConnection {
    /// Gives the connection to `target`, another loop, and runs `body` with it there in a
    /// task pinned to `target`: the way one acceptor spreads connections over a group's
    /// loops (``ShardedListener/Sharding/handOff``). Returns at once, on this loop.
    ///
    /// What crosses is the descriptor number (descriptors are process-wide): this loop
    /// lets go of it (this handle then throws `.closed`), and the task adopts it on
    /// `target`, which owns and closes it from then on. If `target` is shutting down or
    /// has shut down, the descriptor is closed there and `body` does not run (logged at
    /// debug level): nothing leaks.
    ///
    /// - Throws: ``TorusError`` (`.accept`): `.notOnLoop` off this connection's loop;
    ///   `.invalidArgument` when an operation is in flight on it or it is served by a
    ///   handler (its state lives on this loop); `.closed`; `.loopShutDown`.
    public func handOff(
        to target: EventLoop, _ body: @escaping @Sendable (TCPConnection) async -> Void
    ) throws(TorusError) {
        guard loop.isCurrent else { throw loop.notOnLoop(.accept) }
        _ = try descriptor.usableFD(for: .accept)
        try loop.checkUsable(.accept)
        guard let fd = descriptor.detach() else {
            throw TorusError(
                .accept, .invalidArgument("a connection with an operation in flight, or served, cannot be handed off"))
        }
        if target.isShuttingDown {
            // Known now: close it here rather than in a task that would find the loop gone.
            CLiburing.close(fd)
            Self.logClosedForShutdown(target)
            return
        }
        let needsNonBlocking = target.socketTypeFlags & Int32(SOCK_NONBLOCK.rawValue) != 0
        if needsNonBlocking != (loop.socketTypeFlags & Int32(SOCK_NONBLOCK.rawValue) != 0) {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, needsNonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
        }
        Task(executorPreference: target) {
            guard target.isCurrent, let adopted = try? Descriptor.adopt(fd, on: target, for: .accept) else {
                // The target exited before the task ran (it then runs on the global pool):
                // the descriptor is closed here (adopt closes it when the target is only
                // shutting down).
                if !target.isCurrent { CLiburing.close(fd) }
                Self.logClosedForShutdown(target)
                return
            }
            let connection = TCPConnection(descriptor: adopted)
            // `run` gives the task its cancellation scope (cheaper operations).
            _ = try? await target.run { await body(connection) }
        }
    }

    /// One debug line: a connection handed to `target` was closed as `target` shuts down.
    private static func logClosedForShutdown(_ target: EventLoop) {
        Logger(label: "torus.handoff").debug(
            "handed-off connection closed: its loop is shutting down",
            metadata: ["loop": "\(target.configuration.threadName)"])
    }
}
