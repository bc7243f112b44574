import Glibc
import Testing

@testable import Torus

@Suite(.timeLimit(.minutes(testTimeScale)))
struct LoopSignalMaskTests {
    /// The signals a process is sent from outside are blocked on a loop thread, so another
    /// thread takes them (an io_uring loop waits in a system call where ThreadSanitizer
    /// would hold a handler back for good); faults stay with the thread that caused them.
    @Test(arguments: TestBackend.allCases)
    func aLoopThreadLeavesProcessSignalsToOtherThreads(_ backend: TestBackend) async throws {
        let processSignals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
        let blocked = try await withTestLoop(backend) { loop in
            #expect(loop.isCurrent)
            var mask = sigset_t()
            pthread_sigmask(SIG_BLOCK, nil, &mask)
            return (processSignals + [SIGSEGV, SIGPIPE]).filter { sigismember(&mask, $0) == 1 }
        }
        #expect(blocked == processSignals)
    }
}
