import Glibc
import Testing

@testable import Torus

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct LoopSignalMaskTests {
    /// The signals a process is sent from outside are blocked on a loop thread, so another
    /// thread takes them (an io_uring loop waits in a system call where ThreadSanitizer
    /// would hold a handler back for good); faults stay with the thread that caused them.
    /// The loop is made on a thread that blocks nothing, as a program's main thread does
    /// (Swift's pool threads, where tests run, block nearly every signal already).
    @Test(arguments: TestBackend.allCases)
    func aLoopThreadLeavesProcessSignalsToOtherThreads(_ backend: TestBackend) async throws {
        let processSignals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
        try await withDescriptorGate {
            let loop = try Self.makeLoopUnmasked(backend)
            let blocked = try await loop.run {
                var mask = sigset_t()
                pthread_sigmask(SIG_BLOCK, nil, &mask)
                return (processSignals + [SIGSEGV, SIGPIPE]).filter { sigismember(&mask, $0) == 1 }
            }
            #expect(blocked == processSignals)
            await expectNoLeaks(on: loop)
            await loop.shutdown()
        }
    }

    /// Makes a loop of `backend` while the calling thread blocks no signal (the loop
    /// thread inherits the mask), then restores the calling thread's mask.
    private static func makeLoopUnmasked(_ backend: TestBackend) throws -> EventLoop {
        var none = sigset_t()
        var saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        return try backend.makeLoop()
    }
}
