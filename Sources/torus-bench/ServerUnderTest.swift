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

    /// Starts the echo server `server` (see ``EchoServer/command``). `pinned`: on
    /// ``CPUPinning/serverCPU``.
    convenience init(_ server: EchoServer, pinned: Bool) throws {
        let (product, arguments, reportsStatistics) = server.command
        try self.init(name: server.name, reportsStatistics: reportsStatistics, pinned: pinned) {
            try ChildProcess(product: product, arguments: arguments)
        }
    }

    /// Starts a server with `start`, one that prints `listening <port>` once ready, or,
    /// given `listensOn` (the port it was told to use: nginx, which says nothing), one the
    /// parent waits for until it accepts a connection there. It answers SIGUSR1 with a
    /// `statistics` line if `reportsStatistics`. `pinned`: on ``CPUPinning/serverCPU``.
    init(
        name: String, reportsStatistics: Bool, pinned: Bool, listensOn knownPort: Int? = nil,
        start: () throws -> ChildProcess
    ) throws {
        self.name = name
        self.reportsStatistics = reportsStatistics
        child = try pinned ? CPUPinning.spawning(on: CPUPinning.serverCPU, start) : start()
        let port: Int?
        if let knownPort {
            port = LocalPort.waitUntilAccepting(knownPort) ? knownPort : nil
        } else {
            port = Self.announcedPort(of: child)
        }
        guard let port else {
            _ = child.terminate()
            throw BenchError.serverDidNotStart(name)
        }
        address = SocketAddress(ip: "127.0.0.1", port: port)!
    }

    /// The port in the child's first line, `listening <port>`; nil if it printed no such line.
    private static func announcedPort(of child: ChildProcess) -> Int? {
        guard let line = child.readLine(), line.hasPrefix("listening ") else { return nil }
        return Int(line.dropFirst("listening ".count))
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

    /// Runs `body` with the server, then stops it (checking it exited cleanly); when
    /// `body` throws, the server is stopped all the same and the error rethrown.
    func running<Result>(_ body: (ServerUnderTest) async throws -> Result) async throws -> Result {
        let result: Result
        do {
            result = try await body(self)
        } catch {
            try? stop()
            throw error
        }
        try stop()
        return result
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
        case .missingExecutable(let path): "not built: \(path) (run `swift build -c release` first)"
        case .serverDidNotStart(let name): "\(name) did not start listening"
        case .serverFailed(let name, let status): "\(name) exited with status \(status)"
        case .unexpectedOutput(let name, let line): "\(name) printed an unexpected line: \(line)"
        case .spawnFailed(let path, let error): "cannot start \(path): \(String(cString: strerror(error)))"
        case .signalSetupFailed(let error): "cannot handle signals: \(String(cString: strerror(error)))"
        case .fileFailed(let path, let error): "\(path): \(String(cString: strerror(error)))"
        }
    }
}
