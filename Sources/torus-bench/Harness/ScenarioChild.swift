import TorusCommandLine
import TorusTestSupport
import Foundation

/// One contender's measured run in a child process (`torus-bench serve ...`) that prints
/// `ready` once set up, then one `result key=value ...` line, then waits for SIGTERM and
/// exits 0. The parent reads the child's CPU at `ready` and at `result` (setup and
/// teardown excluded) and its peak resident memory (VmHWM) at `result`, while the
/// child's threads still exist.
struct ScenarioChild {
    /// The result line's fields.
    var fields: [Substring: Substring]
    /// CPU of all the child's threads between `ready` and `result`, in nanoseconds.
    var cpuNanoseconds: UInt64
    /// The child's peak resident memory, in KiB.
    var peakResidentKiB: Int

    /// Runs `torus-bench arguments` to the end.
    init(_ arguments: [String]) throws {
        let child = try ChildProcess(product: "torus-bench", arguments: arguments)
        let name = arguments.prefix(2).joined(separator: " ")
        guard child.readLine() == "ready" else {
            throw BenchError.serverFailed(name, child.exitStatus())
        }
        let cpu0 = ProcessProbe.cpuNanoseconds(child.pid)
        let line = child.readLine() ?? ""
        cpuNanoseconds = max(ProcessProbe.cpuNanoseconds(child.pid), cpu0) - cpu0
        peakResidentKiB = ProcessProbe.memoryKiB(child.pid, "VmHWM")
        let status = child.terminate()
        guard status == 0 else { throw BenchError.serverFailed(name, status) }
        guard line.hasPrefix("result ") else { throw BenchError.unexpectedOutput(name, line) }
        fields = line.keyValueFields
    }

    /// The result field `key` as a number.
    func number(_ key: Substring) throws -> Double {
        guard let value = fields[key].flatMap({ Double($0) }) else {
            throw BenchError.unexpectedOutput("result", "no \(key)")
        }
        return value
    }

    /// What stderr says, once, when the parent no longer reads the child's stdout.
    private static let closedNote = "torus-bench serve: stdout closed; result not printed"

    /// The child's side: tells the parent that setup is done (its CPU measurement
    /// starts here).
    static func announceReady() {
        StandardOutput.write("ready\n", onClosed: closedNote)
    }

    /// The child's side: prints `result` and the `fields`, then waits for the parent's
    /// SIGTERM (the parent reads /proc meanwhile).
    static func finish(_ fields: KeyValuePairs<String, String>) async throws {
        let signals = try SignalWaiter([SIGINT, SIGTERM])
        let line = fields.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        StandardOutput.write("result \(line)\n", onClosed: closedNote)
        for await _ in signals.signals { break }
    }
}
