import Glibc
import Torus

/// A server under test, in a child process of its own so that it shares nothing with
/// the load generator: the Torus and SwiftNIO servers (`torus-bench serve echo ...`) and
/// the C references (Benchmarks/) alike. It prints `listening <port>` once ready and
/// exits 0 on SIGTERM.
final class ServerUnderTest {
    /// Which server this is, as the tables name it.
    let name: String
    /// Where clients connect.
    let address: SocketAddress
    /// Whether the child answers SIGUSR1 with a `statistics` line.
    private let reportsStatistics: Bool
    private let child: ChildProcess

    /// Starts the echo server `server` (see ``EchoServerName/command``). `pinned`: on
    /// ``CPUPinning/serverCPU``.
    convenience init(_ server: EchoServerName, pinned: Bool) throws {
        let (program, arguments, reportsStatistics) = server.command
        try self.init(
            name: server.rawValue, executable: ChildProcess.productsDirectory + "/" + program, arguments: arguments,
            reportsStatistics: reportsStatistics, pinned: pinned)
    }

    /// Starts `executable` with `arguments`, a server that prints `listening <port>` once
    /// ready and answers SIGUSR1 with a `statistics` line if `reportsStatistics`.
    /// `pinned`: on ``CPUPinning/serverCPU``.
    init(name: String, executable: String, arguments: [String], reportsStatistics: Bool, pinned: Bool) throws {
        self.name = name
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
            throw BenchError.serverDidNotStart(name)
        }
        address = SocketAddress(ip: "127.0.0.1", port: port)!
    }

    /// CPU time (user + system) of every thread of the child so far, in nanoseconds.
    func cpuNanoseconds() -> UInt64 { ProcessProbe.cpuNanoseconds(child.pid) }

    /// The child's resident memory now (VmRSS), in KiB.
    func residentKiB() -> Int { ProcessProbe.memoryKiB(child.pid, "VmRSS") }

    /// How many descriptors the child has open: its accepted connections show here.
    func openDescriptors() -> Int { ProcessProbe.openDescriptors(child.pid) }

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
        if status != 0 { throw BenchError.serverFailed(name, status) }
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
    case fileFailed(String, Int32)

    var description: String {
        switch self {
        case .missingExecutable(let path): "reference server not built: \(path) (run `swift build -c release` first)"
        case .serverDidNotStart(let name): "\(name) did not print its port"
        case .serverFailed(let name, let status): "\(name) exited with status \(status)"
        case .unexpectedOutput(let name, let line): "\(name) printed an unexpected line: \(line)"
        case .spawnFailed(let path, let error): "cannot start \(path): \(String(cString: strerror(error)))"
        case .signalSetupFailed(let error): "cannot handle signals: \(String(cString: strerror(error)))"
        case .fileFailed(let path, let error): "\(path): \(String(cString: strerror(error)))"
        }
    }
}
