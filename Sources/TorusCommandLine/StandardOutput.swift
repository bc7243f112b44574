import ArgumentParser
import Glibc
import Synchronization

/// Standard output for a program whose reader may go away: ``ignoreBrokenPipes()`` at
/// startup makes a write to a closed pipe fail with EPIPE instead of killing the process
/// with SIGPIPE, and ``write(_:onClosed:)`` writes with `write(2)` (not Foundation's
/// `FileHandle.write`, which traps on any error) and says once on stderr when stdout has
/// closed.
public enum StandardOutput {
    /// Whether a failed write has been reported on stderr already.
    private static let reported = Atomic<Bool>(false)

    /// Ignores SIGPIPE for the whole process: call first thing in every program.
    /// Children started with `posix_spawn` get the default disposition back when the
    /// spawner asks for it (``ChildProcess`` does).
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Writes `text` whole to stdout; on failure (EPIPE: the reader has gone) says
    /// `onClosed` on stderr, the first time only, and returns false.
    @discardableResult
    public static func write(_ text: String, onClosed note: String) -> Bool {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset)
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                report(note, errno)
                return false
            }
            offset += count
        }
        return true
    }
}

extension StandardOutput {
    /// Flushes what `print` buffered; when stdout has failed (its reader gone), says
    /// `note` on stderr unless a failure was reported already.
    public static func flushPrinted(onClosed note: String) {
        // fflush(nil): `stdout` itself is shared mutable state to Swift 6; stderr is unbuffered.
        if fflush(nil) != 0 { report(note, errno) }
    }

    /// Says `note` and the error on stderr, the first time only.
    private static func report(_ note: String, _ error: Int32) {
        guard !reported.exchange(true, ordering: .relaxed) else { return }
        let message = "\(note) (\(String(cString: strerror(error))))\n"
        _ = message.withCString { Glibc.write(STDERR_FILENO, $0, strlen($0)) }
    }
}

extension AsyncParsableCommand {
    /// ArgumentParser's `main()` with SIGPIPE ignored first (``StandardOutput``), and
    /// what `print` wrote flushed at the end, said once on stderr if stdout had closed:
    /// the `@main` command of every program calls it from its own `static func main()`.
    public static func mainIgnoringBrokenPipes() async {
        StandardOutput.ignoreBrokenPipes()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            StandardOutput.flushPrinted(
                onClosed: "\(configuration.commandName ?? "\(Self.self)"): stdout closed; output lost")
        } catch {
            exit(withError: error)
        }
    }
}
