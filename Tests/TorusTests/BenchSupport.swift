import Foundation
import Testing
import Torus

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

/// Sends `bytes` to the echo server on 127.0.0.1:`port` from the calling loop and reads
/// as many back (fewer if the server closes first).
func echoThroughServer(_ bytes: [UInt8], port: Int) async throws -> [UInt8] {
    let client = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!)
    try await client.write(bytes)
    let received = try await client.read(exactly: bytes.count, timeout: .seconds(10))
    try await client.close()
    return received
}
