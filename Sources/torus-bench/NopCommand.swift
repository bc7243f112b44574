import ArgumentParser
import Foundation
import Synchronization
import Torus

/// `torus-bench nop`: the runtime's own cost of one async operation round trip.
struct NopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nop",
        abstract: "Async no-op round trips through io_uring: ns per op and mallocs per op."
    )

    @Option(help: "Concurrent tasks issuing no-ops.")
    var tasks = 1

    @Option(help: "No-ops per task.")
    var operations = 1_000_000

    @Option(help: "Reactor: io_uring, epoll (where a no-op completes without a system call) or automatic.")
    var backend: Backend = .automatic

    func validate() throws {
        guard tasks > 0, operations > 0 else { throw ValidationError("--tasks and --operations must be positive") }
    }

    func run() async throws {
        var configuration = EventLoop.Configuration()
        configuration.backend = backend
        try await withEventLoop(configuration: configuration) { loop in
            try await Self.spin(loop: loop, tasks: tasks, operations: operations / 10)  // warm-up
            AllocationCounter.start()
            let cpu0 = loop.threadCPUNanoseconds
            let start = ContinuousClock.now
            try await Self.spin(loop: loop, tasks: tasks, operations: operations)
            let elapsed = ContinuousClock.now - start
            let cpu = loop.threadCPUNanoseconds - cpu0
            let mallocs = AllocationCounter.stop()
            let total = Double(tasks * operations)
            let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            print(
                String(
                    format: "nop (%@): %d task(s): %.0f ns/op wall, %.0f ns/op loop CPU, %d mallocs in %.0f ops",
                    loop.backend.rawValue, tasks, nanoseconds / total, Double(cpu) / total, mallocs, total))
        }
    }

    private static func spin(loop: EventLoop, tasks: Int, operations: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    for _ in 0..<operations { try await loop.nop() }
                }
            }
            try await group.waitForAll()
        }
    }
}
