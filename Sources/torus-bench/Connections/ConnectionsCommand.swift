import TorusTestSupport
import ArgumentParser
import TorusCommandLine
import Foundation
import Torus

/// `torus-bench connections`: the memory an idle connection costs each echo server (the
/// Torus servers, SwiftNIO and the C references), each in a child process of its own:
/// its VmRSS before and with `count` idle connections open, opened from one Torus loop.
struct ConnectionsCommand: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "Idle connections: server RSS per connection, Torus vs C vs SwiftNIO."
    )

    @Option(help: "Idle connections to open to each server (1...1000000).")
    var count = 10_000

    @OptionGroup var interleaved: InterleavedRuns

    @OptionGroup var report: ReportOptions

    /// Descriptors kept free for everything else the client and the servers open.
    private static let spareDescriptors = 64

    func validate() throws {
        try OptionCheck.integer(count, "--count", in: 1...1_000_000)
    }

    func run() async throws {
        _ = try await measure(reporting: report.write)
    }

    func measure(reporting report: (BenchReport<ConnectionRecord>) throws -> Void) async throws
        -> BenchReport<ConnectionRecord>
    {
        let original = ResourceLimits.openFiles()
        let limit = ResourceLimits.raiseOpenFiles()
        print("RLIMIT_NOFILE: soft limit raised from \(original.soft) to \(limit) (the hard limit: \(original.hard))")
        let fitting = max(Int(limit) - Self.spareDescriptors, 0)
        let connections = min(count, fitting)
        if connections < count {
            print(
                "RLIMIT_NOFILE \(limit) is too low for \(count) connections (each side needs one descriptor per"
                    + " connection, plus \(Self.spareDescriptors) spare): opening \(connections) instead")
        }
        guard connections > 0 else { throw ValidationError("RLIMIT_NOFILE \(limit) leaves no room for connections") }
        var configuration = EventLoop.Configuration()
        configuration.threadName = "torus-client"
        configuration.backend = .ioUring
        let client = try EventLoop(configuration: configuration)
        let runs = try await interleaved.measure(Contender.allCases) {
            try await measure($0, connections: connections, client: client)
        } describe: { server, record in
            String(
                format: "%@: %d connections, RSS %d -> %d KiB, %.0f bytes/connection", server.rawValue, connections,
                record.residentBeforeKiB, record.residentAfterKiB, record.bytesPerConnection)
        }
        await client.shutdown()
        var records = BenchReport<ConnectionRecord>()
        for serverRuns in runs { records.add(serverRuns, medianBy: \.bytesPerConnection) }
        try report(records)
        print()
        print(
            "connections: \(connections) idle connections per server, x \(interleaved.repeats) (median);"
                + " client: one Torus io_uring loop; RSS is VmRSS (kernel socket buffers are not in it)")
        ConnectionRecord.printTable(records.medians)
        return records
    }

    /// One run: starts `server`, reads its RSS, opens `connections` connections, waits
    /// until it has accepted them all (its descriptors), reads its RSS again.
    private func measure(_ server: Contender, connections: Int, client: EventLoop) async throws
        -> ConnectionRecord
    {
        let (accepted, before, after) = try await ServerUnderTest(
            .echo(server), connections: connections, pinned: false
        )
        .running { child in
            let before = child.residentKiB()
            let descriptors = child.openDescriptors()
            let address = child.address
            let opened = try await client.run {
                var opened: [TCPConnection] = []
                for _ in 0..<connections { opened.append(try await TCPConnection.connect(to: address)) }
                return opened
            }
            var waited = 0
            while child.openDescriptors() < descriptors + connections, waited < 1000 {
                pauseThread(seconds: 0.01)
                waited += 1
            }
            let accepted = child.openDescriptors() - descriptors
            let after = child.residentKiB()
            try await client.run { for connection in opened { try await connection.close() } }
            return (accepted, before, after)
        }
        guard accepted >= connections else {
            throw BenchError.unexpectedOutput(server.rawValue, "accepted \(accepted) of \(connections) connections")
        }
        return ConnectionRecord(
            server: server.rawValue, connections: connections, residentBeforeKiB: before, residentAfterKiB: after)
    }
}
