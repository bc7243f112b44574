import Foundation

/// A child process started with `posix_spawn`, its stdout on a pipe and its stderr
/// shared with this process.
///
/// This process's buffered output is flushed before the child starts and before it is
/// told to stop, the two moments a child writes to the shared stderr: its lines then
/// fall between whole lines of ours, never inside a table row, when both go to one file.
///
/// Not Foundation's `Process`: its run loop, created on whichever pool thread waits for
/// the child, crashes in `__CFFinalizeRunLoop` when that thread exits (seen here). The
/// child starts with no signal blocked and default dispositions, whatever the spawning
/// thread had.
final class ChildProcess {
    let pid: pid_t
    private let output: Int32

    /// Starts `path` with `arguments` (not including the program name).
    init(path: String, arguments: [String]) throws {
        fflush(nil)
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw BenchError.spawnFailed(path, errno) }
        // Only the child's stdout copy (dup2) survives exec; the originals must not leak.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], STDOUT_FILENO)
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
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        close(pipeEnds[1])
        guard result == 0 else {
            close(pipeEnds[0])
            throw BenchError.spawnFailed(path, result)
        }
        self.pid = pid
        output = pipeEnds[0]
    }

    /// Starts `product`, a program built into this executable's directory (torus-bench
    /// itself, the C references), with `arguments`; a clear error when it was not built.
    convenience init(product: String, arguments: [String]) throws {
        let path = Self.productsDirectory + "/" + product
        guard access(path, X_OK) == 0 else { throw BenchError.missingExecutable(path) }
        try self.init(path: path, arguments: arguments)
    }

    deinit { close(output) }

    /// The next line the child wrote to stdout, or nil at end of file.
    func readLine() -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(output, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }

    /// Sends SIGTERM and waits; returns the exit status (128 + signal if killed).
    func terminate() -> Int32 {
        fflush(nil)
        kill(pid, SIGTERM)
        return waitForExit()
    }

    /// Waits for the child to exit; returns its exit status (128 + signal if killed).
    func waitForExit() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// The path of the installed program `name` (the first on `PATH`), nil when it is not
    /// installed.
    static func installed(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    /// The directory this executable was built into, where the C reference programs are.
    private static var productsDirectory: String {
        var path = [CChar](repeating: 0, count: Int(PATH_MAX))
        let count = readlink("/proc/self/exe", &path, path.count - 1)
        let executable = String(decoding: path[..<max(count, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
    }
}
