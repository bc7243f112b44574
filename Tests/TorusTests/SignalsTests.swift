import Foundation
import Glibc
import Testing

@testable import Torus

/// ``Signals`` in this process, with SIGWINCH: its default action is to do nothing, so a
/// test that went wrong cannot kill the test process (SIGTERM and friends are tested in
/// child processes: `torus-bench serve`, below and in BenchServeTests and
/// StopOnSignalTests). Serialized: a signal is watched by one sequence at a time.
@Suite(.serialized, .descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct SignalsTests {
    /// A signal sent to the process, and one sent to a thread that does not block it
    /// (forwarded to the loop by the handler `Signals` installs), arrive; closing ends
    /// the iteration and the loop owns no descriptor more than before.
    @Test(arguments: TestBackend.allCases)
    func signalsArriveAndClosingEndsTheIteration(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics.descriptorsOwned
            let signals = try await Signals([.windowChanged])
            #expect(await loop.statistics.descriptorsOwned == baseline + 1)
            var iterator = signals.makeAsyncIterator()
            kill(getpid(), SIGWINCH)
            #expect(await iterator.next() == .windowChanged)
            Self.sendToAThreadThatDoesNotBlockIt(SIGWINCH)
            #expect(await iterator.next() == .windowChanged)
            await signals.close()
            #expect(await iterator.next() == nil)
            #expect(await loop.statistics.descriptorsOwned == baseline)
        }
    }

    /// Cancelling the task that iterates ends the iteration at once and closes the
    /// signalfd; the signal can be watched again.
    @Test(arguments: TestBackend.allCases)
    func cancellingTheIteratingTaskEndsTheIteration(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let baseline = await loop.statistics.descriptorsOwned
            let signals = try await Signals([.windowChanged])
            let received = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    var count = 0
                    for await _ in signals { count += 1 }
                    return count
                }
                try await Task.sleep(for: .milliseconds(50))
                group.cancelAll()
                return try await group.next()
            }
            #expect(received == 0)
            #expect(await loop.statistics.descriptorsOwned == baseline)
            let again = try await Signals([.windowChanged])
            await again.close()
        }
    }

    /// A loop shutting down ends the iteration; the signal is released with it.
    @Test(arguments: TestBackend.allCases)
    func theLoopShuttingDownEndsTheIteration(_ backend: TestBackend) async throws {
        try await withDescriptorGate {
            let loop = try backend.makeLoop()
            let signals = try await Signals([.windowChanged], on: loop)
            let iteration = Task {
                var count = 0
                for await _ in signals { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(50))
            await loop.shutdown()
            #expect(await iteration.value == 0)
            try await withTestLoop(backend) { _ in
                let again = try await Signals([.windowChanged])
                await again.close()
            }
        }
    }

    /// Signals that cannot be watched, none at all, and one watched already are
    /// `invalidArgument` errors that say why.
    @Test(arguments: TestBackend.allCases)
    func unwatchableSignalsAreClearErrors(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let refused: [(Set<Signal>, String)] = [
                ([Signal(rawValue: SIGKILL)], "SIGKILL cannot be caught"),
                ([.terminate, Signal(rawValue: SIGSTOP)], "SIGSTOP cannot be caught"),
                ([Signal(rawValue: SIGSEGV)], "is a fault of the thread that caused it"),
                ([Signal(rawValue: 32)], "reserved by the C library"),
                ([Signal(rawValue: 0)], "not a signal number"),
                ([Signal(rawValue: 65)], "not a signal number"),
                ([], "no signal to watch"),
            ]
            for (signals, reason) in refused {
                await #expect {
                    _ = try await Signals(signals)
                } throws: { error in
                    guard let error = error as? TorusError, error.operation == .signal,
                        case .invalidArgument(let text) = error.reason
                    else { return false }
                    return text.contains(reason)
                }
            }
            let watching = try await Signals([.windowChanged])
            await #expect(
                throws: TorusError(.signal, .invalidArgument("SIGWINCH is watched by another Signals already"))
            ) {
                _ = try await Signals([.windowChanged, .user2])
            }
            await watching.close()
        }
    }

    /// `torus-bench serve echo` (an `AsyncParsableCommand`, whose threads start before
    /// its `run()`) answers each SIGUSR1 with a statistics line and stops on SIGINT with
    /// status 0: the signals reach its `Signals` whichever thread the kernel picks.
    @Test(arguments: TestBackend.allCases)
    func aCommandLineProgramReceivesItsSignals(_ backend: TestBackend) async throws {
        try await withDescriptorGate {
            let server = try ServerProcess(
                ["torus-bench", "serve", "echo", "--port", "0", "--backend", backend.optionValue])
            _ = try await server.waitForPort()
            for _ in 0..<3 {
                kill(server.pid, SIGUSR1)
                #expect(await server.readLine()?.hasPrefix("statistics ") == true)
            }
            kill(server.pid, SIGINT)
            let (status, errors) = await server.waitForExit()
            #expect(status == 0, "\(errors.suffix(400))")
        }
    }

    /// Sends `signal` to a new thread that unblocks it, and waits for that thread: the
    /// kernel runs the signal's handler there.
    private static func sendToAThreadThatDoesNotBlockIt(_ signal: Int32) {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var mask = sigset_t()
            sigemptyset(&mask)
            sigaddset(&mask, signal)
            pthread_sigmask(SIG_UNBLOCK, &mask, nil)
            pthread_kill(pthread_self(), signal)
            done.signal()
        }
        done.wait()
    }
}
