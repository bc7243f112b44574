import Glibc
import Torus

/// A server the echo benchmark drives: where it listens, how to read the CPU time of
/// the thread that serves, and how to stop it.
protocol ServerUnderTest {
    /// The name printed in the results table.
    var name: String { get }
    /// Where clients connect.
    var address: SocketAddress { get }
    /// CPU time (user + system) of the serving thread so far, in nanoseconds.
    func cpuNanoseconds() -> UInt64
    /// System calls the serving thread made so far, when the server reports them.
    func systemCalls() async -> UInt64?
    /// Stops the server and releases what it holds.
    func stop() async throws
}

/// The Torus echo server on its own loop thread in this process.
final class TorusEchoServer: ServerUnderTest {
    let name: String
    let loop: EventLoop
    let address: SocketAddress
    private let listener: TCPListener
    private let serving: Task<Void, any Error>

    init(backend: Backend) async throws {
        var configuration = EventLoop.Configuration()
        configuration.threadName = "torus-server"
        configuration.backend = backend
        loop = try EventLoop(configuration: configuration)
        name = "torus-\(loop.backend)"
        let listener = try await loop.run {
            try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: 0)!)
        }
        self.listener = listener
        address = listener.localAddress
        serving = Task(executorPreference: loop) { try await EchoServer.serve(listener) }
    }

    func cpuNanoseconds() -> UInt64 { loop.threadCPUNanoseconds }

    func systemCalls() async -> UInt64? { await loop.statistics.systemCalls }

    func stop() async throws {
        try await listener.close()
        await loop.shutdown()
        _ = await serving.result
    }
}

/// A C reference server (Benchmarks/) run as a child process; it prints
/// `listening <port>` once ready and exits 0 on SIGTERM.
final class ChildProcessServer: ServerUnderTest {
    let name: String
    let address: SocketAddress
    private let child: ChildProcess

    init(executable name: String) throws {
        self.name = name
        let path = Self.productsDirectory + "/" + name
        guard access(path, X_OK) == 0 else { throw BenchError.missingExecutable(path) }
        child = try ChildProcess(path: path, arguments: ["--port", "0"])
        guard let line = child.readLine(), line.hasPrefix("listening "),
            let port = Int(line.dropFirst("listening ".count))
        else {
            _ = child.terminate()
            throw BenchError.serverDidNotStart(name)
        }
        address = SocketAddress(ip: "127.0.0.1", port: port)!
    }

    /// The directory this executable was built into, where the reference servers are.
    private static var productsDirectory: String {
        var path = [CChar](repeating: 0, count: Int(PATH_MAX))
        let count = readlink("/proc/self/exe", &path, path.count - 1)
        let executable = String(decoding: path[..<max(count, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
    }

    /// The child's main thread CPU time from /proc/PID/schedstat (nanoseconds on CPU),
    /// the same clock as a Torus loop thread's.
    func cpuNanoseconds() -> UInt64 {
        let fd = open("/proc/\(child.pid)/schedstat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return 0 }
        return UInt64(String(decoding: buffer[..<count].prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)) ?? 0
    }

    func systemCalls() async -> UInt64? { nil }

    func stop() async throws {
        let status = child.terminate()
        if status != 0 { throw BenchError.serverFailed(name, status) }
    }
}

/// Why a benchmark could not run.
enum BenchError: Error, CustomStringConvertible {
    case missingExecutable(String)
    case serverDidNotStart(String)
    case serverFailed(String, Int32)
    case spawnFailed(String, Int32)

    var description: String {
        switch self {
        case .missingExecutable(let path): "reference server not built: \(path) (run `swift build -c release` first)"
        case .serverDidNotStart(let name): "\(name) did not print its port"
        case .serverFailed(let name, let status): "\(name) exited with status \(status)"
        case .spawnFailed(let path, let error): "cannot start \(path): \(String(cString: strerror(error)))"
        }
    }
}
