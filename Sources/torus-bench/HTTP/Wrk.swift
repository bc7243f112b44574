import TorusTestSupport

/// wrk, the HTTP load generator, as a second client of the http scenario when it is
/// installed: one thread (`-t1`, like our one-loop client), keep-alive connections, no
/// pipelining, `--latency` for its latency distribution (50, 75, 90 and 99 %: wrk has no
/// 99.9 % without a Lua script).
enum Wrk {
    /// wrk's path on `PATH`, nil when it is not installed.
    static var executable: String? { ChildProcess.installed("wrk") }

    /// Runs `executable` against `server` with `connections` connections for `seconds`
    /// (wrk takes whole seconds); the server's CPU is read before wrk starts and after it
    /// exits. `pinned`: wrk on ``CPUPinning/clientCPU``.
    static func run(_ executable: String, against server: ServerUnderTest, connections: Int, seconds: Int, pinned: Bool)
        throws -> WrkResult
    {
        let arguments = [
            "-t1", "-c\(connections)", "-d\(seconds)s", "--latency", "http://\(server.address)/plaintext",
        ]
        let cpu0 = server.cpuNanoseconds()
        let child =
            try pinned
            ? CPUPinning.spawning(on: CPUPinning.clientCPU) { try ChildProcess(path: executable, arguments: arguments) }
            : ChildProcess(path: executable, arguments: arguments)
        var lines: [String] = []
        while let line = child.readLine() { lines.append(line) }
        let status = child.exitStatus()
        let cpu = server.cpuNanoseconds() - cpu0
        guard status == 0 else { throw BenchError.serverFailed("wrk", status) }
        guard let result = WrkResult(output: lines, serverCPUNanoseconds: cpu) else {
            throw BenchError.unexpectedOutput("wrk", lines.joined(separator: " / "))
        }
        return result
    }
}
