import ArgumentParser
import Foundation
import Torus

/// `torus-bench echo`: ping-pong echo over loopback against the Torus servers and the C
/// reference server of each design, interleaved, with server CPU per round trip.
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Echo round trips/s and server CPU per round trip: Torus vs C, io_uring and epoll."
    )

    @Option(help: "Reactors to measure: io_uring, epoll or both.")
    var backend: BackendSelection = .both

    @Option(help: "Concurrent client connections (repeat the option for several runs).")
    var connections: [Int] = [64]

    @Option(help: "Message size in bytes.")
    var size = 64

    @Option(help: "Measured seconds per run.")
    var duration = 5.0

    @Option(help: "Warm-up seconds before each measured run.")
    var warmup = 1.0

    @Option(help: "Runs per server, interleaved (A B A B ...); the median is reported.")
    var repeats = 1

    func validate() throws {
        guard !connections.isEmpty, connections.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--connections must be positive")
        }
        guard (1...65536).contains(size) else { throw ValidationError("--size must be in 1...65536") }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be positive") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
    }

    func run() async throws {
        ResourceLimits.raiseOpenFiles()
        var configuration = EventLoop.Configuration()
        configuration.threadName = "torus-client"
        configuration.backend = .ioUring
        let client = try EventLoop(configuration: configuration)
        for connectionCount in connections {
            var rows: [(name: String, reference: String, runs: [EchoResult])] = []
            for backend in backend.backends {
                rows.append(("torus-\(backend)", backend.referenceServer, []))
                rows.append((backend.referenceServer, backend.referenceServer, []))
            }
            for round in 1...repeats {
                for index in rows.indices {
                    let server = try await startServer(rows[index].name)
                    let result = try await measure(server, connections: connectionCount, client: client)
                    try await server.stop()
                    rows[index].runs.append(result)
                    print("round \(round) \(rows[index].name) \(connectionCount) connections: \(result.summary)")
                }
            }
            print()
            print(
                "echo: \(connectionCount) connections, \(size)-byte messages, \(duration) s x \(repeats)"
                    + " (median), client: one Torus io_uring loop")
            let medians = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0.runs.median) })
            EchoResult.printTable(rows.map { ($0.name, medians[$0.name]!, medians[$0.reference]!) })
            print()
        }
        await client.shutdown()
    }

    private func startServer(_ name: String) async throws -> any ServerUnderTest {
        switch name {
        case "torus-io_uring": try await TorusEchoServer(backend: .ioUring)
        case "torus-epoll": try await TorusEchoServer(backend: .epoll)
        default: try ChildProcessServer(executable: name)
        }
    }

    private func measure(
        _ server: any ServerUnderTest, connections: Int, client: EventLoop
    ) async throws -> EchoResult {
        let load = try await EchoLoad(to: server.address, connections: connections, size: size, on: client)
        pauseThread(seconds: warmup)
        let calls0 = await server.systemCalls()
        let trips0 = load.roundTrips.load(ordering: .relaxed)
        let cpu0 = server.cpuNanoseconds()
        let start = ContinuousClock.now
        AllocationCounter.start()
        pauseThread(seconds: duration)
        let mallocs = AllocationCounter.stop()
        let cpu1 = server.cpuNanoseconds()
        let trips1 = load.roundTrips.load(ordering: .relaxed)
        let elapsed = ContinuousClock.now - start
        let calls1 = await server.systemCalls()
        await load.stop()
        let trips = max(1, trips1 - trips0)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return EchoResult(
            roundTripsPerSecond: Double(trips) / seconds,
            serverCPUMicrosPerRoundTrip: Double(cpu1 - cpu0) / 1000 / Double(trips),
            mallocs: mallocs,
            mallocsPerRoundTrip: Double(mallocs) / Double(trips),
            systemCallsPerRoundTrip: calls0.flatMap { c0 in calls1.map { Double($0 - c0) / Double(trips) } },
            failures: load.failures.load(ordering: .relaxed))
    }
}

/// One measured echo run.
struct EchoResult {
    var roundTripsPerSecond: Double
    var serverCPUMicrosPerRoundTrip: Double
    /// Allocations in the whole process (server loop, client loop, main thread) during
    /// the measured window.
    var mallocs: Int
    var mallocsPerRoundTrip: Double
    var systemCallsPerRoundTrip: Double?
    var failures: Int

    var summary: String {
        String(
            format: "%.0f rt/s, server %.3f us CPU/rt, %d mallocs in the window", roundTripsPerSecond,
            serverCPUMicrosPerRoundTrip, mallocs)
    }

    /// Prints one markdown row per server, each with its ratio to its C reference.
    static func printTable(_ rows: [(name: String, result: EchoResult, reference: EchoResult)]) {
        print("| server | round trips/s | server CPU us/rt | vs C same design | syscalls/rt | mallocs (window) |")
        print("|---|---:|---:|---:|---:|---:|")
        for row in rows {
            let ratio = row.result.serverCPUMicrosPerRoundTrip / row.reference.serverCPUMicrosPerRoundTrip
            let calls = row.result.systemCallsPerRoundTrip.map { String(format: "%.2f", $0) } ?? "-"
            print(
                String(
                    format: "| %@ | %.0f | %.3f | %.2fx | %@ | %d |", row.name, row.result.roundTripsPerSecond,
                    row.result.serverCPUMicrosPerRoundTrip, ratio, calls, row.result.mallocs))
        }
    }
}

extension [EchoResult] {
    /// The run with the median server CPU per round trip.
    var median: EchoResult {
        sorted { $0.serverCPUMicrosPerRoundTrip < $1.serverCPUMicrosPerRoundTrip }[count / 2]
    }
}

/// Blocks the calling thread. The measured window uses this rather than `Task.sleep`,
/// whose timer allocates and would be counted against the servers.
func pauseThread(seconds: Double) {
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
