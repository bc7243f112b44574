import Foundation
import Glibc

/// A child process started with `posix_spawn`, its stdout on a pipe: the one
/// child-process helper of torus-bench (servers under test, C references, wrk, fio,
/// nginx) and the tests (torus-bench and its servers run end to end).
///
/// This process's buffered output is flushed before the child starts and before it is
/// told to stop, the two moments a child writes to a shared stderr: its lines then fall
/// between whole lines of ours, never inside a table row, when both go to one file.
///
/// Not Foundation's `Process`: its run loop, created on whichever pool thread waits for
/// the child, crashes in `__CFFinalizeRunLoop` when that thread exits, and in Swift
/// 6.3.1 `Process.run()` crashes now and then on Linux (a 256-byte over-read of
/// `/proc/self/fd` entries, swift-corelibs-foundation #5472; both seen here). The child
/// starts with no signal blocked and default dispositions, whatever the spawning thread
/// had.
public final class ChildProcess {
    /// Where the child's stderr goes.
    public enum StandardError: Sendable {
        /// This process's stderr, shared.
        case inherited
        /// A pipe of its own, read by ``readErrors()`` once the child has exited.
        case captured
        /// The stdout pipe: ``readLine()`` and ``readOutput()`` see both.
        case toOutput
    }

    /// The child's process id.
    public let pid: pid_t
    private var output: Int32
    /// Whether ``exitStatus(timeout:)`` (or ``terminate(timeout:)``) has reaped the child.
    private var reaped = false
    private let errors: Int32?

    /// Starts `path` with `arguments` (not including the program name), with this
    /// process's environment plus `environment`.
    public init(
        path: String, arguments: [String], environment: [String: String] = [:],
        standardError: StandardError = .inherited
    ) throws {
        fflush(nil)
        let outputPipe = try Self.pipe()
        let errorPipe = standardError == .captured ? try Self.pipe() : nil
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Only the child's copies (dup2) survive exec; the originals are close-on-exec.
        posix_spawn_file_actions_adddup2(&actions, outputPipe.write, STDOUT_FILENO)
        switch standardError {
        case .inherited: break
        case .captured: posix_spawn_file_actions_adddup2(&actions, errorPipe!.write, STDERR_FILENO)
        case .toOutput: posix_spawn_file_actions_adddup2(&actions, outputPipe.write, STDERR_FILENO)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }
        let envp = environment.isEmpty ? [] : variables.map { strdup($0) } + [nil]
        defer { for argument in argv + envp { free(argument) } }
        var pid = pid_t()
        let result =
            envp.isEmpty
            ? posix_spawn(&pid, path, &actions, &attributes, argv, environ)
            : posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        close(outputPipe.write)
        if let errorPipe { close(errorPipe.write) }
        guard result == 0 else {
            close(outputPipe.read)
            if let errorPipe { close(errorPipe.read) }
            throw SupportError.spawnFailed(path, result)
        }
        self.pid = pid
        output = outputPipe.read
        errors = errorPipe?.read
    }

    /// Starts `product`, a program built into this executable's directory (torus-bench,
    /// the C references), with `arguments`; a clear error when it was not built.
    public convenience init(
        product: String, arguments: [String], environment: [String: String] = [:],
        standardError: StandardError = .inherited
    ) throws {
        let path = Self.productsDirectory + "/" + product
        guard access(path, X_OK) == 0 else { throw SupportError.missingExecutable(path) }
        try self.init(path: path, arguments: arguments, environment: environment, standardError: standardError)
    }

    /// Dropped before its exit was waited for (a test that threw half-way), the child is
    /// killed and reaped: a server under test never outlives its handle.
    deinit {
        if !reaped {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        if output >= 0 { close(output) }
        if let errors { close(errors) }
    }

    /// The next line the child wrote to stdout, or nil at end of file.
    public func readLine() -> String? { Self.readLine(from: output) }

    /// The next line the child wrote to stdout, or nil at end of file, read on a thread of
    /// its own (see ``runOnOwnThread(_:)``).
    public func readLine() async -> String? {
        let output = output
        return await Self.runOnOwnThread { Self.readLine(from: output) }
    }

    /// The port in the child's next line, `listening <port>` (what a server under test
    /// prints once ready); nil if it printed no such line.
    public func readAnnouncedPort() -> Int? { Self.port(announcedIn: readLine()) }

    /// The port in the child's next line, read on a thread of its own.
    public func readAnnouncedPort() async -> Int? { Self.port(announcedIn: await readLine()) }

    /// Closes this end of the child's stdout pipe, as a reader that goes away does: the
    /// child's next write to stdout fails (EPIPE, or SIGPIPE unless it ignores it).
    /// ``readLine()`` and ``readOutput()`` then see end of file.
    public func closeOutput() {
        guard output >= 0 else { return }
        close(output)
        output = -1
    }

    /// Everything the child writes to stdout until it closes it, usually by exiting.
    public func readOutput() -> String { Self.readToEnd(output) }

    /// Everything the child writes to stdout until it closes it, read on a thread of its own.
    public func readOutput() async -> String {
        let output = output
        return await Self.runOnOwnThread { Self.readToEnd(output) }
    }

    /// Everything the child wrote to its own stderr (``StandardError/captured``); call
    /// once it has exited. Stops after 5 s without a byte: a grandchild left running (a
    /// server the child started, if the child was killed) would otherwise keep it waiting.
    /// "" for the other modes.
    public func readErrors() -> String { errors.map { Self.readErrors(from: $0) } ?? "" }

    /// Everything the child wrote to its own stderr, read on a thread of its own.
    public func readErrors() async -> String {
        guard let errors else { return "" }
        return await Self.runOnOwnThread { Self.readErrors(from: errors) }
    }

    /// Sends SIGTERM and waits; returns the exit status (128 + signal if killed).
    public func terminate(timeout: Duration? = nil) -> Int32 {
        sendTerminate()
        return exitStatus(timeout: timeout)
    }

    /// Sends SIGTERM and waits on a thread of its own; returns the exit status.
    public func terminate(timeout: Duration? = nil) async -> Int32 {
        sendTerminate()
        return await exitStatus(timeout: timeout)
    }

    /// Waits for the child to exit (given a `timeout`, at most that long, then SIGKILL);
    /// returns its exit status (128 + signal if killed), as a shell says.
    public func exitStatus(timeout: Duration? = nil) -> Int32 {
        defer { reaped = true }
        return Self.waitForExit(pid, timeout: timeout)
    }

    /// Waits for the child to exit on a thread of its own; returns its exit status.
    public func exitStatus(timeout: Duration? = nil) async -> Int32 {
        let pid = pid
        defer { reaped = true }
        return await Self.runOnOwnThread { Self.waitForExit(pid, timeout: timeout) }
    }

    /// Runs `work`, a blocking read or wait, on a thread started for it and awaits its
    /// result. Waiting for a child holds a thread for as long as the child runs; on Swift's
    /// cooperative pool (one thread per core: two here) two such waits would stop every
    /// other task of the process, and the tests' timeouts fire in tests that did nothing
    /// wrong.
    public static func runOnOwnThread<Result: Sendable>(
        _ work: @escaping @Sendable () -> Result
    ) async -> Result {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }

    private func sendTerminate() {
        fflush(nil)
        kill(pid, SIGTERM)
    }

    private static func readLine(from output: Int32) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(output, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }

    private static func port(announcedIn line: String?) -> Int? {
        guard let line, line.hasPrefix("listening ") else { return nil }
        return Int(line.dropFirst("listening ".count))
    }

    private static func readErrors(from descriptor: Int32) -> String {
        readToEnd(descriptor, idleTimeout: .seconds(5))
    }

    private static func waitForExit(_ pid: pid_t, timeout: Duration?) -> Int32 {
        var status: Int32 = 0
        if let timeout {
            let deadline = ContinuousClock.now + timeout
            while true {
                let waited = waitpid(pid, &status, WNOHANG)
                if waited == pid || (waited < 0 && errno != EINTR) { break }
                if ContinuousClock.now >= deadline {
                    kill(pid, SIGKILL)
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    break
                }
                usleep(10_000)
            }
        } else {
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// The path of the installed program `name` (the first on `PATH`), nil when it is not
    /// installed.
    public static func installed(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    /// The directory this executable was built into, where this package's other programs
    /// are (torus-bench, the C references).
    public static var productsDirectory: String {
        var path = [CChar](repeating: 0, count: Int(PATH_MAX))
        let count = readlink("/proc/self/exe", &path, path.count - 1)
        let executable = String(decoding: path[..<max(count, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
    }

    /// A close-on-exec pipe (pipe2 is not imported).
    private static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else { throw SupportError.spawnFailed("pipe", errno) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    /// Reads `descriptor` to end of file, or, given `idleTimeout`, until nothing has
    /// arrived for that long (a grandchild that outlived the child may hold the pipe's
    /// write end open for ever).
    private static func readToEnd(_ descriptor: Int32, idleTimeout: Duration? = nil) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let idleTimeout {
                var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(idleTimeout.components.seconds * 1000)
                let ready = poll(&waiting, 1, milliseconds)
                if ready < 0 && errno == EINTR { continue }
                if ready <= 0 { break }
            }
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
