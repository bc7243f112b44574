import Foundation
import Testing

/// Runs the `torus-bench` built beside the tests with `arguments` (and `path` as its
/// PATH, if given) to completion, holding the descriptor gate (its pipes); returns its
/// exit status and its stdout, with its stderr too when `withStandardError` (else the
/// stderr is read and dropped).
func runTorusBench(
    _ arguments: [String], path: String? = nil, withStandardError: Bool = false
) async throws -> (status: Int32, output: String) {
    try await withDescriptorGate {
        let bench = try ServerProcess(
            ["torus-bench"] + arguments, environment: path.map { ["PATH": $0] } ?? [:],
            errorsToOutput: withStandardError)
        let output = await bench.readOutput()
        return (await bench.waitForExit().status, output)
    }
}

/// Runs `torus-bench arguments` (with `path` as its PATH, if given); returns its stdout,
/// after checking that it exited 0.
func runBench(_ arguments: [String], path: String? = nil) async throws -> String {
    let (status, output) = try await runTorusBench(arguments, path: path)
    #expect(status == 0, "torus-bench \(arguments): \(output)")
    return output
}

/// The median rows of a `torus-bench` CSV file, split into fields.
func csvMedians(_ path: String) throws -> [[Substring]] {
    let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        .map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    guard let run = rows.first?.firstIndex(of: "run") else { return [] }
    return rows.filter { $0.count > run && $0[run] == "median" }
}
