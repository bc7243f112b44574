import Foundation

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
