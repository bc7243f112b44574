import Glibc
import Torus
import TorusTestSupport

/// A server under test (``ServerDescription``), running in a child process of its own
/// so that it shares nothing with the load generator: the Torus and SwiftNIO servers
/// (`torus-bench serve echo|http ...`), the C references (Benchmarks/) and nginx alike.
/// It exits 0 on SIGTERM.
final class ServerUnderTest {
    /// Which server this is, as the tables name it.
    let name: String
    /// Where clients connect.
    let address: SocketAddress
    /// Whether the child answers SIGUSR1 with a `statistics` line.
    private let reportsStatistics: Bool
    private let child: ChildProcess

    /// Starts `server` for `connections` clients: a server that prints `listening
    /// <port>` once ready, or, when its command names the port it was told to use
    /// (nginx, which says nothing), one the parent waits for until it accepts a
    /// connection there. `pinned`: on ``CPUPinning/serverCPU``.
    init(_ server: ServerDescription, connections: Int, pinned: Bool) throws {
        name = server.name
        reportsStatistics = server.reportsStatistics
        let command = try server.command(connections)
        child = try pinned ? CPUPinning.spawning(on: CPUPinning.serverCPU, command.spawn) : command.spawn()
        let port: Int?
        if let knownPort = command.port {
            port = LocalPort.waitUntilAccepting(knownPort) ? knownPort : nil
        } else {
            port = child.readAnnouncedPort()
        }
        guard let port else {
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

    /// How many of the child's descriptors are sockets: its listener and connections.
    func openSockets() -> Int { ProcessProbe.openSockets(child.pid) }

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
    case serverDidNotStart(String)
    case serverFailed(String, Int32)
    case unexpectedOutput(String, String)

    var description: String {
        switch self {
        case .serverDidNotStart(let name): "\(name) did not start listening"
        case .serverFailed(let name, let status): "\(name) exited with status \(status)"
        case .unexpectedOutput(let name, let line): "\(name) printed an unexpected line: \(line)"
        }
    }
}
