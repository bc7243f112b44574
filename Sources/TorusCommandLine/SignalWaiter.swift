import Foundation
import Glibc

/// Turns signals into an `AsyncStream` of signal numbers, for a program that must stop
/// cleanly on SIGINT/SIGTERM (torus-bench's servers, torus-crawl) and answer SIGUSR1.
///
/// The handlers are installed with `sigaction` before `init` returns, so a signal that
/// arrives the moment the server prints its port is never lost. (A Dispatch signal
/// source registers asynchronously after `resume()`, and the `SIG_IGN` it needs meanwhile
/// discarded a SIGTERM sent right away: seen here as a server that never exited.) Each
/// handler writes the signal number to a pipe (the self-pipe trick: `write` is
/// async-signal-safe); a thread reads the pipe and yields to the stream.
public final class SignalWaiter: Sendable {
    /// `pipe` or `sigaction` failed (the errno): the handlers cannot be installed.
    public struct SetupError: Error, CustomStringConvertible {
        /// The errno of the failed call.
        public let errno: Int32

        /// Says why, in words.
        public var description: String { "cannot handle signals: \(String(cString: strerror(errno)))" }
    }

    /// The signals received, in order.
    public let signals: AsyncStream<Int32>

    /// Installs handlers for `numbers`. `onSignal` runs on the reading thread as each
    /// signal arrives, before the stream yields it (for work that must not wait for a
    /// task to be scheduled). One waiter per process: the pipe is global, as a signal
    /// handler can reach nothing else.
    public init(_ numbers: [Int32], onSignal: @escaping @Sendable (Int32) -> Void = { _ in }) throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw SetupError(errno: errno) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        signalPipeWriteEnd = ends[1]
        for number in numbers {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWriteEnd, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(SA_RESTART)
            guard sigaction(number, &action, nil) == 0 else { throw SetupError(errno: errno) }
        }
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        signals = stream
        let readEnd = ends[0]
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 {
                    onSignal(Int32(byte))
                    continuation.yield(Int32(byte))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            continuation.finish()
        }
    }
}

/// Where the signal handlers write; set once, before any handler is installed.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1
