import Foundation
import Glibc
import Testing

/// The command-line programs run as child processes with hostile values (issue 12.5) and
/// a reader that goes away (issue 12.6): each must exit with a clear message or cleanly,
/// never trap or die of a signal.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct CLIHardeningTests {
    /// ArgumentParser's exit status for a `ValidationError` (EX_USAGE).
    static let validationStatus: Int32 = 64

    /// One bad command line: the program and its arguments, and the option the error
    /// must name.
    struct BadValue: CustomTestStringConvertible, Sendable {
        let arguments: [String]
        let option: String

        var testDescription: String { arguments.joined(separator: " ") }
    }

    /// `torus-crawl` with `option value` and a root that is never fetched.
    static func crawl(_ option: String, _ value: String) -> BadValue {
        BadValue(arguments: ["torus-crawl", "\(option)=\(value)", "http://127.0.0.1:1/"], option: option)
    }

    /// `torus-bench subcommand... option value`.
    static func bench(_ subcommand: [String], _ option: String, _ value: String) -> BadValue {
        BadValue(arguments: ["torus-bench"] + subcommand + ["\(option)=\(value)"], option: option)
    }

    /// `torus-bench serve file-reader` with its required options.
    static let fileReader = ["serve", "file-reader", "--engine", "torus-epoll", "--path", "/"]

    /// Non-finite, huge and negative values for every duration option.
    static let badSeconds = ["nan", "inf", "-inf", "1e300", "-1"]

    static let badValues: [BadValue] =
        badSeconds.map { crawl("--timeout", $0) } + [crawl("--timeout", "0")]
        + ["-5", "0", "100000000"].map { crawl("--self-test-site", $0) }
        + ["0", "-1", "1000000"].map { crawl("--max-tasks", $0) }
        + [
            crawl("--max-redirect", "-1"), crawl("--max-tries", "0"), crawl("--max-pages", "0"),
            crawl("--max-body", "-1"), crawl("--exclude", "(unclosed"), crawl("--max-connections", "0"),
        ]
        + badSeconds.map { bench(["echo"], "--duration", $0) }
        + badSeconds.map { bench(["echo"], "--warmup", $0) }
        + badSeconds.map { bench(["http"], "--duration", $0) }
        + badSeconds.map { bench(["file"], "--duration", $0) }
        + badSeconds.map { bench(fileReader, "--duration", $0) }
        + [
            bench(["echo"], "--repeats", "0"), bench(["echo"], "--repeats", "-1"),
            bench(["echo"], "--connections", "0"), bench(["echo"], "--connections", "-3"),
            bench(["echo"], "--size", "0"), bench(["http"], "--connections", "-1"),
            bench(["nop"], "--tasks", "0"), bench(["nop"], "--operations", "-1"),
            bench(["file"], "--depth", "0"), bench(["file"], "--file-size", "2048G"),
            bench(fileReader, "--pool-threads", "-1"),
            bench(["serve", "timers", "--engine", "torus-epoll"], "--count", "-1"),
            bench(["serve", "timers", "--engine", "torus-epoll"], "--max-ms", "-1"),
            bench(["timers"], "--count", "0"), bench(["timers"], "--max-ms", "-1"),
            bench(["connections"], "--count", "-1"), bench(["connections"], "--count", "100000000"),
            bench(["serve", "echo"], "--port", "-1"), bench(["serve", "http"], "--port", "65536"),
        ]
        + (badSeconds + ["0", "1441"]).map { bench(["soak"], "--minutes", $0) }
        + ["0", "-1", "10001"].map { bench(["soak"], "--connections", $0) }
        + ["nan", "0.5", "3601"].map { bench(["soak"], "--interval", $0) }
        + [bench(["soak", "--minutes", "0.05"], "--interval", "4")]
        + ["nan", "-1", "101"].map { bench(["soak"], "--tolerance", $0) }

    @Test(arguments: badValues)
    func aBadValueIsAValidationErrorNamingTheOption(_ bad: BadValue) async throws {
        let (status, errors) = try await withDescriptorGate {
            try await ServerProcess(bad.arguments).waitForExit()
        }
        #expect(status == Self.validationStatus, "\(bad.testDescription): \(errors.suffix(400))")
        #expect(errors.contains("Error: \(bad.option)"), "\(bad.testDescription): \(errors.suffix(400))")
    }

    /// `torus-bench serve echo` whose stdout reader has gone: the statistics line SIGUSR1
    /// asks for fails with EPIPE (not SIGPIPE), is reported once, and SIGTERM still stops
    /// the server with status 0.
    @Test func aStatisticsSignalAfterTheReaderLeftIsSurvived() async throws {
        let (status, errors) = try await withDescriptorGate {
            let server = try ServerProcess(["torus-bench", "serve", "echo", "--port", "0", "--backend", "epoll"])
            _ = try await server.waitForPort()
            server.closeOutput()
            for _ in 0..<2 {
                kill(server.pid, SIGUSR1)
                try await Task.sleep(for: .milliseconds(100))
            }
            // SIGUSR1 (10) is delivered before SIGTERM (15), and the server handles its
            // signals in order: every statistics write is tried before it stops.
            return await server.stop()
        }
        #expect(status == 0, "\(errors.suffix(400))")
        #expect(errors.components(separatedBy: "stdout closed").count == 2, "reported once: \(errors)")
    }

    /// `torus-crawl` whose stdout reader has gone before the report: the report's writes
    /// fail with EPIPE (not SIGPIPE), stderr says so once, and the crawl exits 0.
    @Test func aCrawlWhoseReaderLeftExitsCleanly() async throws {
        let (status, errors) = try await withDescriptorGate {
            let crawl = try ServerProcess(["torus-crawl", "--quiet", "--self-test-site=20"])
            crawl.closeOutput()
            return await crawl.waitForExit()
        }
        #expect(status == 0, "\(errors.suffix(400))")
        #expect(errors.components(separatedBy: "stdout closed").count == 2, "reported once: \(errors)")
    }
}
