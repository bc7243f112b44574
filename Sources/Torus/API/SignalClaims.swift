import CLiburing
import Glibc
import Synchronization
import SystemPackage

/// Which signals a ``Signals`` sequence watches, process-wide, and the dispositions they
/// had before: a signal is watched by one sequence at a time (a signalfd dequeues a
/// signal, so two would race for each one).
///
/// Claiming a signal installs ``torus_forward_signal`` as its handler and records the
/// watching loop's thread as its target: a signal the kernel hands to a thread that does
/// not block it (the main thread, a thread of Swift's pool) is sent on to the loop thread,
/// which blocks it, so it waits for the loop's signalfd there instead of killing the
/// process. Releasing puts the previous disposition back.
enum SignalClaims {
    /// A disposition to put back. @unchecked Sendable: a plain C struct (a function
    /// pointer, a mask, flags), read and written only under ``claimed``'s lock.
    private struct Previous: @unchecked Sendable {
        var action: sigaction
    }

    /// The watched signals, by number, with their previous dispositions.
    private static let claimed = Mutex<[Int32: Previous]>([:])

    /// Claims `signals` for the thread `thread` (a kernel thread id that blocks them).
    /// - Throws: ``TorusError`` `.signal`: `.invalidArgument` when one is watched already,
    ///   `.system` when `sigaction` fails (nothing stays claimed then).
    static func claim(_ signals: Set<Signal>, forwardingTo thread: Int32) throws(TorusError) {
        let numbers = signals.map(\.rawValue).sorted()
        try claimed.withTSanVisibleLock { (claimed: inout [Int32: Previous]) throws(TorusError) in
            if let taken = numbers.first(where: { claimed[$0] != nil }) {
                throw TorusError(
                    .signal, .invalidArgument("\(Signal(rawValue: taken)) is watched by another Signals already"))
            }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = torus_forward_signal
            // While one forwards, the others wait: each handler sees one signal at a time.
            action.sa_mask = signals.mask
            action.sa_flags = Int32(SA_RESTART)
            for (index, number) in numbers.enumerated() {
                torus_set_signal_target(number, thread)
                var previous = sigaction()
                guard sigaction(number, &action, &previous) == 0 else {
                    let error = TorusError(.signal, .system(Errno(rawValue: errno)))
                    for installed in numbers[...index] { restore(installed, in: &claimed) }
                    throw error
                }
                claimed[number] = Previous(action: previous)
            }
        }
    }

    /// Puts back the dispositions `signals` had before ``claim(_:forwardingTo:)``.
    static func release(_ signals: Set<Signal>) {
        claimed.withTSanVisibleLock { claimed in
            for signal in signals { restore(signal.rawValue, in: &claimed) }
        }
    }

    /// Restores one signal's previous disposition (when it has one), then stops
    /// forwarding it: a signal arriving meanwhile is still forwarded, never lost to a
    /// handler with nowhere to send it.
    private static func restore(_ number: Int32, in claimed: inout [Int32: Previous]) {
        if var previous = claimed.removeValue(forKey: number) { sigaction(number, &previous.action, nil) }
        torus_set_signal_target(number, 0)
    }
}
