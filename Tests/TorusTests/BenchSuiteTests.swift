import Foundation
import Testing

/// `torus-bench` with no subcommand (the suite), end to end on its cheapest scenarios:
/// every table printed, the charts and index written with `--report`, bad values refused
/// before anything runs.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct BenchSuiteTests {
    @Test func aQuickSuiteWritesATableAndAChartPerScenario() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("torus-suite-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let json = directory.appendingPathComponent("results.json").path
        let arguments = [
            "--quick", "--scenario", "nop", "--scenario", "timers", "--report", directory.path, "--json", json,
            "--csv", directory.appendingPathComponent("results.csv").path,
        ]
        let (status, output) = try await runTorusBench(arguments, withStandardError: true)
        #expect(status == 0, "\(output)")
        // In the suite's order, not the order asked for.
        let timers = try #require(output.range(of: "## timers"))
        let nop = try #require(output.range(of: "## nop"))
        #expect(timers.lowerBound < nop.lowerBound)
        #expect(output.contains("| torus-epoll | 1000 |"))
        #expect(output.contains("c-liburing-nop ns/op"))
        #expect(output.contains("suite: 2 scenarios in"))
        // Not a terminal: no progress line.
        #expect(!output.contains("\u{1B}[K"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(
            files == [
                "index.html", "nop.svg", "results.json", "results.nop.csv", "results.timers.csv", "timers.svg",
            ])
        // One JSON file, a key per scenario run, each with that run's medians.
        let gathered = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(gathered.keys.sorted() == ["nop", "timers"])
        let timersRuns = try #require(gathered["timers"] as? [String: Any])
        #expect((timersRuns["medians"] as? [Any])?.count == 3)
        let timersCSV = try String(
            contentsOfFile: directory.appendingPathComponent("results.timers.csv").path, encoding: .utf8)
        #expect(timersCSV.split(separator: "\n").count == 1 + 3 + 3, "header, 3 runs, 3 medians")
        let timersChart = try String(contentsOf: directory.appendingPathComponent("timers.svg"), encoding: .utf8)
        #expect(timersChart.components(separatedBy: "<rect class=\"bar\"").count - 1 == 3)
    }

    @Test(arguments: [
        (["--scenario", "echoes"], "The value 'echoes' is invalid for '--scenario <scenario>'"),
        (["--quick", "--duration", "1"], "Unknown option '--duration'"),
        (["echo", "--duration", "-1"], "--duration must be a finite number of seconds, more than 0 and at most"),
        (["timers", "--repeats", "0"], "--repeats must be in 1...1000, got 0"),
        (["--report", "/etc/passwd/charts"], "--report /etc/passwd/charts: cannot be created"),
        (["--report", "/etc/passwd"], "--report /etc/passwd: not a writable directory"),
    ])
    func aBadValueIsAClearError(_ arguments: [String], _ message: String) async throws {
        let (status, output) = try await runTorusBench(arguments, withStandardError: true)
        #expect(status == 64)
        #expect(output.contains(message), "\(output)")
    }
}
