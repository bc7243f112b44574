import Glibc
import Torus

/// A server under test, in a child process of its own so that it shares nothing with
/// the load generator: the Torus and SwiftNIO servers (`torus-bench serve echo ...`) and
/// the C references (Benchmarks/) alike. It prints `listening <port>` once ready and
/// exits 0 on SIGTERM.
final class ServerUnderTest {
    /// Which server this is.
    let server: EchoServerName
    /// Where clients connect.
    let address: SocketAddress
    /// Whether the child answers SIGUSR1 with a `statistics` line.
    private let reportsStatistics: Bool
    private let child: ChildProcess

    /// Starts `server` (see ``EchoServerName/command``). `pinned`: on
    /// ``CPUPinning/serverCPU``.
    init(_ server: EchoServerName, pinned: Bool) throws {
        self.server = server
        let (program, arguments, reportsStatistics) = server.command
        let executable = ChildProcess.productsDirectory + "/" + program
        self.reportsStatistics = reportsStatistics
        guard access(executable, X_OK) == 0 else { throw BenchError.missingExecutable(executable) }
        child =
            try pinned
            ? CPUPinning.spawning(on: CPUPinning.serverCPU) { try ChildProcess(path: executable, arguments: arguments) }
            : ChildProcess(path: executable, arguments: arguments)
        guard let line = child.readLine(), line.hasPrefix("listening "),
            let port = Int(line.dropFirst("listening ".count))
        else {
            _ = child.terminate()
            throw BenchError.serverDidNotStart(server.rawValue)
        }
        address = SocketAddress(ip: "127.0.0.1", port: port)!
    }

    /// CPU time (user + system) of every thread of the child so far, in nanoseconds, from
    /// /proc/PID/task/*/schedstat: the loop thread, and whatever else the server runs.
    func cpuNanoseconds() -> UInt64 {
        guard let tasks = opendir("/proc/\(child.pid)/task") else { return 0 }
        defer { closedir(tasks) }
        var total: UInt64 = 0
        while let entry = readdir(tasks) {
            let thread = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard thread.first?.isNumber == true else { continue }
            total += Self.firstNumber(in: "/proc/\(child.pid)/task/\(thread)/schedstat")
        }
        return total
    }

    private static func firstNumber(in path: String) -> UInt64 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return 0 }
        return UInt64(String(decoding: buffer[..<count].prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)) ?? 0
    }

    /// The server's own counters: system calls its loop made so far (nil when it does
    /// not count them: SwiftNIO), and heap allocations since the previous call (the first
    /// call starts counting). Nil for servers that do not report (the C references).
    func statistics() -> (systemCalls: UInt64?, mallocs: Int)? {
        guard reportsStatistics else { return nil }
        kill(child.pid, SIGUSR1)
        guard let line = child.readLine(), line.hasPrefix("statistics ") else { return nil }
        let fields = line.keyValueFields
        guard let mallocs = fields["mallocs"].flatMap({ Int($0) }) else { return nil }
        return (fields["syscalls"].flatMap { UInt64($0) }, mallocs)
    }

    /// Stops the server (SIGTERM) and checks that it exited cleanly.
    func stop() throws {
        let status = child.terminate()
        if status != 0 { throw BenchError.serverFailed(server.rawValue, status) }
    }
}

/// Why a benchmark could not run.
enum BenchError: Error, CustomStringConvertible {
    case missingExecutable(String)
    case serverDidNotStart(String)
    case serverFailed(String, Int32)
    case unexpectedOutput(String, String)
    case spawnFailed(String, Int32)
    case signalSetupFailed(Int32)

    var description: String {
        switch self {
        case .missingExecutable(let path): "reference server not built: \(path) (run `swift build -c release` first)"
        case .serverDidNotStart(let name): "\(name) did not print its port"
        case .serverFailed(let name, let status): "\(name) exited with status \(status)"
        case .unexpectedOutput(let name, let line): "\(name) printed an unexpected line: \(line)"
        case .spawnFailed(let path, let error): "cannot start \(path): \(String(cString: strerror(error)))"
        case .signalSetupFailed(let error): "cannot handle signals: \(String(cString: strerror(error)))"
        }
    }
}
