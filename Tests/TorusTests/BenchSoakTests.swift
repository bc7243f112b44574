import Foundation
import Testing

/// `torus-bench soak` end to end for a few seconds: every server of both reactors (echo
/// with a handler, echo with a task per connection, TorusHTTP's HTTPServer) under
/// connection churn, resets and stalled clients, each a child process.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct BenchSoakTests {
    static let servers = ["io_uring", "epoll"].flatMap { ["torus-\($0)", "torus-\($0)-task", "torus-\($0)-http"] }

    /// Three 1-second intervals with 4 clients a server: a line per server per interval
    /// with no error, exchanges done, a passing verdict per server, exit 0. The
    /// tolerance is wide: a few clients make the descriptor count of a moment move by
    /// more than 2%, and the first seconds include the servers' start.
    @Test func aShortSoakPassesOnEveryServer() async throws {
        let (status, output) = try await runTorusBench([
            "soak", "--minutes", "0.05", "--interval", "1", "--connections", "4", "--tolerance", "50",
        ])
        #expect(status == 0, "\(output)")
        for server in Self.servers {
            let lines = output.split(separator: "\n").filter { $0.contains(" \(server) ") && $0.contains("exchanges=") }
            #expect(lines.map { $0.prefix(5) } == ["00:01", "00:02", "00:03"], "\(server): \(output)")
            var exchanges = 0.0
            var connections = 0.0
            for line in lines {
                let fields = Dictionary(
                    line.split(separator: " ").compactMap { field -> (String, Double)? in
                        let parts = field.split(separator: "=")
                        guard parts.count == 2, let value = Double(parts[1]) else { return nil }
                        return (String(parts[0]), value)
                    }, uniquingKeysWith: { $1 })
                #expect(fields["errors"] == 0, "\(line)")
                #expect((fields["rss_kib"] ?? 0) > 0, "\(line)")
                #expect((fields["fds"] ?? 0) > 4, "\(line)")
                exchanges += fields["exchanges"] ?? 0
                connections += fields["connections"] ?? 0
            }
            // Per server over the run: on a loaded machine one 1-second interval may see none.
            #expect(exchanges > 0, "\(server): \(output)")
            #expect(connections > 0, "\(server): \(output)")
            #expect(output.contains("verdict \(server): passed: 0 unexpected errors"), "\(output)")
        }
        #expect(output.hasSuffix("soak: passed\n"), "\(output)")
    }
}
