import CLiburing
import Glibc

/// Keeps the load generator and the server under test on different cores, so neither
/// steals the other's CPU and a run's figures do not depend on where the scheduler put
/// them (on a 2-vCPU VM that alone moved the server's CPU per round trip by 30%).
enum CPUPinning {
    /// The core the load generator runs on.
    static let clientCPU = 0
    /// The core the server under test runs on.
    static let serverCPU = 1

    /// Whether this machine has the two cores pinning needs.
    static var isAvailable: Bool { sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2 }

    /// Pins the calling thread to `cpu`; returns whether the kernel accepted it.
    @discardableResult
    static func pinCurrentThread(to cpu: Int) -> Bool {
        torus_set_thread_affinity(1 << UInt64(cpu)) == 0
    }

    /// Runs `body` (which starts a child process) with the calling thread pinned to
    /// `cpu`, so the child and every thread it starts inherit that core; then restores
    /// the caller's affinity.
    static func spawning<Result>(on cpu: Int, _ body: () throws -> Result) rethrows -> Result {
        var saved: UInt64 = 0
        guard torus_thread_affinity(&saved) == 0, pinCurrentThread(to: cpu) else { return try body() }
        defer { _ = torus_set_thread_affinity(saved) }
        return try body()
    }
}
