import Foundation
import Testing

@testable import Torus

/// `torus-bench` on several event loops: `serve echo --loops N --sharding ...`, `echo
/// --loops 1 --loops 2`, and `hop`, the cross-loop round trip.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct BenchLoopsTests {
    /// Options that are out of range or unknown stop the command with exit status 64
    /// (EX_USAGE) and a message naming the option.
    @Test(arguments: [
        (["serve", "echo", "--loops", "0"], "--loops"),
        (["serve", "echo", "--sharding", "diagonal"], "--sharding"),
        (["serve", "echo", "--server", "nio", "--sharding", "handoff"], "--sharding"),
        (["serve", "http", "--service-lifecycle", "--loops", "2"], "--loops"),
        (["echo", "--loops", "0"], "--loops"),
        (["echo", "--loops", "2", "--loops", "2"], "--loops"),
        (["echo", "--sharding", "bogus"], "--sharding"),
        (["hop", "--round-trips", "0"], "--round-trips"),
        (["hop", "--max-seconds", "0"], "--max-seconds"),
    ])
    func aBadLoopOptionIsAClearError(_ arguments: [String], _ option: String) async throws {
        let (status, output) = try await runTorusBench(arguments, withStandardError: true)
        #expect(status == 64, "\(arguments): \(output)")
        #expect(output.contains(option), "\(arguments): \(output)")
    }

    /// A Torus echo server on two loops, connections spread either way, echoes several
    /// clients at once byte for byte and exits 0 on SIGTERM.
    @Test(arguments: ["handoff", "reuseport"])
    func echoServerOnTwoLoopsEchoesEveryClient(_ sharding: String) async throws {
        try await withDescriptorGate {
            let server = try ServerProcess([
                "torus-bench", "serve", "echo", "--port", "0", "--loops", "2", "--sharding", sharding,
            ])
            let port = try await server.waitForPort()
            let loop = try TestBackend.ioUring.makeLoop()
            let clients = 6
            let sent = (0..<clients).map { randomBytes(16_384 + $0 * 1000, seed: UInt64(20 + $0)) }
            let echoed: [[UInt8]] = try await loop.run {
                try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                    for (index, bytes) in sent.enumerated() {
                        group.addTask { (index, try await echoThroughServer(bytes, port: port)) }
                    }
                    var echoed = [[UInt8]](repeating: [], count: clients)
                    for try await (index, bytes) in group { echoed[index] = bytes }
                    return echoed
                }
            }
            await loop.shutdown()
            #expect(echoed == sent)
            let (status, errors) = await server.stop()
            #expect(status == 0)
            #expect(errors.contains("serve echo: io_uring, 2 loops \(sharding)"), "\(errors)")
        }
    }

    /// `echo --loops 1 --loops 2` measures Torus and SwiftNIO at both counts, the C
    /// server once, and writes the loops and sharding of each row to the CSV.
    @Test func echoMeasuresEveryLoopCount() async throws {
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("torus-bench-loops-\(getpid()).csv")
            .path
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let output = try await runBench([
            "echo", "--connections", "4", "--size", "64", "--duration", "0.1", "--warmup", "0", "--no-pinning",
            "--backend", "epoll", "--loops", "1", "--loops", "2", "--sharding", "handoff", "--csv", csv,
        ])
        #expect(output.contains("| server | loops | sharding |"))
        #expect(output.contains("| vs 1 loop |"))
        let medians = try csvMedians(csv)
        let header = try String(contentsOfFile: csv, encoding: .utf8).prefix { $0 != "\n" }
        #expect(header.hasSuffix(",failures,loops,sharding"))
        let shapes = medians.map { "\($0[1]) \($0[$0.count - 2]) \($0[$0.count - 1])" }
        #expect(
            shapes == [
                "torus-epoll 1 ", "c-epoll-echo 1 ", "swift-nio 1 ", "torus-epoll x2 handoff 2 handoff",
                "swift-nio x2 2 ",
            ])
        for row in medians { #expect(row[row.count - 3] == "0", "failures of \(row[1])") }
    }

    /// A short `hop` prints a row for every contender; a Torus hop allocates nothing
    /// once warm (the loop reuses the `run`'s cancellation scope).
    @Test func hopPrintsEveryContender() async throws {
        let output = try await runBench(["hop", "--round-trips", "2000", "--max-seconds", "2"])
        #expect(output.contains("| contender | round trips | ns/round trip | CPU ns/round trip | mallocs/round trip |"))
        for contender in ["torus-io_uring", "torus-epoll", "swift-nio-actor", "swift-nio-futures", "task"] {
            #expect(output.contains("\n| \(contender) | "), "\(contender): \(output)")
        }
        for torus in ["torus-io_uring", "torus-epoll"] {
            let row = output.split(separator: "\n").first { $0.hasPrefix("| \(torus) | ") }
            let mallocs = row?.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.dropFirst(4).first
            #expect(mallocs == "0.00", "\(torus): \(String(describing: row))")
        }
    }
}
