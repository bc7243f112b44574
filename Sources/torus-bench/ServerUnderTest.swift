import Foundation
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
    private let process: Process

    init(executable name: String) throws {
        self.name = name
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        let executable = directory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw BenchError.missingExecutable(executable.path)
        }
        process = Process()
        process.executableURL = executable
        process.arguments = ["--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        guard let line = Self.readLine(output.fileHandleForReading),
            line.hasPrefix("listening "), let port = Int(line.dropFirst("listening ".count))
        else {
            process.terminate()
            throw BenchError.serverDidNotStart(name)
        }
        address = SocketAddress(ip: "127.0.0.1", port: port)!
    }

    private static func readLine(_ handle: FileHandle) -> String? {
        var bytes: [UInt8] = []
        while let byte = try? handle.read(upToCount: 1), let first = byte.first {
            if first == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(first)
        }
        return nil
    }

    /// The child's main thread CPU time from /proc/PID/schedstat (nanoseconds on CPU).
    func cpuNanoseconds() -> UInt64 {
        let path = "/proc/\(process.processIdentifier)/schedstat"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let first = text.split(separator: " ").first
        else { return 0 }
        return UInt64(first) ?? 0
    }

    func systemCalls() async -> UInt64? { nil }

    func stop() async throws {
        process.terminate()
        process.waitUntilExit()
        if process.terminationStatus != 0 { throw BenchError.serverFailed(name, process.terminationStatus) }
    }
}

/// Why a benchmark could not run.
enum BenchError: Error, CustomStringConvertible {
    case missingExecutable(String)
    case serverDidNotStart(String)
    case serverFailed(String, Int32)

    var description: String {
        switch self {
        case .missingExecutable(let path): "reference server not built: \(path) (run `swift build -c release` first)"
        case .serverDidNotStart(let name): "\(name) did not print its port"
        case .serverFailed(let name, let status): "\(name) exited with status \(status)"
        }
    }
}
