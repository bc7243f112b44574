import Foundation
import Glibc

/// A program built by this package (next to the test bundle), run as a child process
/// with stdout and stderr captured.
///
/// Started with `posix_spawn`, not Foundation's `Process`: in Swift 6.3.1 `Process.run()`
/// crashes now and then on Linux (a 256-byte over-read of `/proc/self/fd` entries,
/// swift-corelibs-foundation #5472), about one suite run in five here.
final class ServerProcess {
    private let pid: pid_t
    private let output: FileHandle
    private let errors: FileHandle?
    private var exitStatus: Int32?

    /// Starts `arguments`; the first one (and a second that names a product, for
    /// wrappers) resolve to this package's build directory. `environment` adds to this
    /// process's. Stderr goes to its own pipe, or with `errorsToOutput` to stdout's.
    init(_ arguments: [String], environment: [String: String] = [:], errorsToOutput: Bool = false) throws {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let resolved = arguments.enumerated().map { index, argument in
            index < 2 && FileManager.default.isExecutableFile(atPath: products.appendingPathComponent(argument).path)
                ? products.appendingPathComponent(argument).path : argument
        }
        let outputPipe = try Self.pipe()
        let errorPipe = errorsToOutput ? nil : try Self.pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outputPipe.write, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, errorPipe?.write ?? outputPipe.write, STDERR_FILENO)
        let variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }
        let argv = resolved.map { strdup($0) } + [nil]
        let envp = variables.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, resolved[0], &actions, nil, argv, envp)
        close(outputPipe.write)
        if let errorPipe { close(errorPipe.write) }
        guard result == 0 else {
            close(outputPipe.read)
            if let errorPipe { close(errorPipe.read) }
            throw ServerProcessError.spawnFailed(resolved[0], result)
        }
        self.pid = pid
        output = FileHandle(fileDescriptor: outputPipe.read, closeOnDealloc: true)
        errors = errorPipe.map { FileHandle(fileDescriptor: $0.read, closeOnDealloc: true) }
    }

    /// Reads the `listening <port>` line the server prints when ready.
    func waitForPort() throws -> Int {
        var line: [UInt8] = []
        while let byte = try output.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") {
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening "), let port = Int(text.dropFirst("listening ".count)) else {
            _ = try? waitForExit()
            throw ServerProcessError.noPort(text)
        }
        return port
    }

    /// Everything the child writes to stdout (and stderr, when sent there) until it
    /// closes it, usually by exiting.
    func readOutput() -> String {
        String(decoding: output.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Sends SIGTERM, then waits for the exit status and the whole stderr.
    func stop() throws -> (status: Int32, errors: String) {
        kill(pid, SIGTERM)
        return try waitForExit()
    }

    /// Waits (at most 20 s, then SIGKILL) for the exit status and the whole stderr.
    func waitForExit() throws -> (status: Int32, errors: String) {
        let deadline = ContinuousClock.now + .seconds(20)
        while exitStatus == nil {
            var status: Int32 = 0
            let waited = waitpid(pid, &status, ContinuousClock.now < deadline ? WNOHANG : 0)
            if waited == pid {
                // WIFEXITED: the exit code; otherwise 128 + the signal, as a shell says.
                exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            } else if waited < 0 {
                throw ServerProcessError.waitFailed(errno)
            } else if ContinuousClock.now < deadline {
                usleep(10_000)
            } else {
                kill(pid, SIGKILL)
            }
        }
        let text = errors.map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? ""
        return (exitStatus!, text)
    }

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else { throw ServerProcessError.spawnFailed("pipe", errno) }
        // Close-on-exec, so no other child keeps a write end open (pipe2 is not imported).
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    enum ServerProcessError: Error {
        case noPort(String)
        case spawnFailed(String, Int32)
        case waitFailed(Int32)
    }
}
