import ArgumentParser
import Foundation
import Torus

/// `torus-bench echo`: ping-pong echo over loopback against the Torus server and the C
/// liburing reference, interleaved, with server CPU per round trip side by side.
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Echo round trips per second and server CPU per round trip: Torus vs C liburing."
    )

    @Option(help: "Concurrent client connections.")
    var connections = 64

    @Option(help: "Message size in bytes.")
    var size = 64

    @Option(help: "Measured seconds per run.")
    var duration = 5.0

    @Option(help: "Warm-up seconds before each measured run.")
    var warmup = 1.0

    @Option(help: "Runs per server, interleaved (A B A B ...); the median is reported.")
    var repeats = 1

    func validate() throws {
        guard connections > 0 else { throw ValidationError("--connections must be positive") }
        guard (1...65536).contains(size) else { throw ValidationError("--size must be in 1...65536") }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be positive") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
    }

    func run() async throws {
        ResourceLimits.raiseOpenFiles()
        var configuration = EventLoop.Configuration()
        configuration.threadName = "torus-client"
        let client = try EventLoop(configuration: configuration)
        var results: [String: [EchoResult]] = [:]
        let servers = ["torus-io_uring", "c-liburing-echo"]
        for round in 1...repeats {
            for name in servers {
                let server: any ServerUnderTest =
                    name == "torus-io_uring" ? try await TorusEchoServer() : try ChildProcessServer(executable: name)
                let result = try await measure(server, client: client)
                try await server.stop()
                results[name, default: []].append(result)
                print("round \(round) \(name): \(result.summary)")
            }
        }
        await client.shutdown()
        print()
        print("echo: \(connections) connections, \(size)-byte messages, \(duration) s x \(repeats), median of runs")
        let reference = results["c-liburing-echo"]!.median
        EchoResult.printTable(
            servers.map { ($0, results[$0]!.median) }, reference: reference)
    }

    private func measure(_ server: any ServerUnderTest, client: EventLoop) async throws -> EchoResult {
        let load = try await EchoLoad(to: server.address, connections: connections, size: size, on: client)
        pauseThread(seconds: warmup)
        let enters0 = await server.kernelEnters()
        let trips0 = load.roundTrips.load(ordering: .relaxed)
        let cpu0 = server.cpuNanoseconds()
        let start = ContinuousClock.now
        AllocationCounter.start()
        pauseThread(seconds: duration)
        let mallocs = AllocationCounter.stop()
        let cpu1 = server.cpuNanoseconds()
        let trips1 = load.roundTrips.load(ordering: .relaxed)
        let elapsed = ContinuousClock.now - start
        let enters1 = await server.kernelEnters()
        await load.stop()
        let trips = max(1, trips1 - trips0)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return EchoResult(
            roundTripsPerSecond: Double(trips) / seconds,
            serverCPUMicrosPerRoundTrip: Double(cpu1 - cpu0) / 1000 / Double(trips),
            mallocsPerRoundTrip: Double(mallocs) / Double(trips),
            kernelEntersPerRoundTrip: enters0.flatMap { e0 in enters1.map { Double($0 - e0) / Double(trips) } },
            failures: load.failures.load(ordering: .relaxed))
    }
}

/// One measured echo run.
struct EchoResult {
    var roundTripsPerSecond: Double
    var serverCPUMicrosPerRoundTrip: Double
    /// Whole process (server loop, client loop, main thread) during the window.
    var mallocsPerRoundTrip: Double
    var kernelEntersPerRoundTrip: Double?
    var failures: Int

    var summary: String {
        String(
            format: "%.0f rt/s, server %.3f us CPU/rt, %.4f mallocs/rt", roundTripsPerSecond,
            serverCPUMicrosPerRoundTrip, mallocsPerRoundTrip)
    }

    static func printTable(_ rows: [(String, EchoResult)], reference: EchoResult) {
        print("| server | round trips/s | server CPU us/rt | vs C liburing | enters/rt | mallocs/rt (process) |")
        print("|---|---:|---:|---:|---:|---:|")
        for (name, result) in rows {
            let ratio = result.serverCPUMicrosPerRoundTrip / reference.serverCPUMicrosPerRoundTrip
            let enters = result.kernelEntersPerRoundTrip.map { String(format: "%.3f", $0) } ?? "-"
            print(
                String(
                    format: "| %@ | %.0f | %.3f | %.2fx | %@ | %.4f |", name, result.roundTripsPerSecond,
                    result.serverCPUMicrosPerRoundTrip, ratio, enters, result.mallocsPerRoundTrip))
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
