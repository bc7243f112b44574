import Foundation

/// Runs the `torus-bench` built beside the tests with `arguments` (and `path` as its
/// PATH, if given) to completion, holding the descriptor gate (its pipe); returns its exit
/// status and its stdout, with its stderr too when `withStandardError`.
func runTorusBench(
    _ arguments: [String], path: String? = nil, withStandardError: Bool = false
) async throws -> (status: Int32, output: String) {
    try await withDescriptorGate {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let process = Process()
        let output = Pipe()
        process.executableURL = products.appendingPathComponent("torus-bench")
        process.arguments = arguments
        if let path { process.environment = ProcessInfo.processInfo.environment.merging(["PATH": path]) { $1 } }
        process.standardOutput = output
        process.standardError = withStandardError ? output : FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
