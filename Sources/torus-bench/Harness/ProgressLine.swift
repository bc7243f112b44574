import TorusTestSupport
import Foundation
import Torus
import Synchronization

/// The suite's live progress line on a terminal: the scenario, the server being
/// measured and the time left, redrawn in place (`\r`) on stderr.
///
/// While it is shown, everything the process and its children write to stdout (when a
/// terminal) and stderr passes through it, so it clears the line before any output and
/// redraws it once the output pauses: tables and logs never mix with it. When stderr is
/// not a terminal there is no line and nothing is redirected.
final class ProgressLine: Sendable {
    /// The line being shown, if any: what ``running(_:)`` names the server on.
    private static let shown = Mutex<ProgressLine?>(nil)

    /// What the line says.
    private struct Status {
        var scenario = ""
        var server = ""
        /// Seconds the scenarios after the current one are expected to take.
        var secondsAfter = 0.0
        var scenarioSeconds = 0.0
        var scenarioStart = ContinuousClock.now
    }

    private let status = Mutex(Status())
    /// The terminal (stderr as it was), where the line is drawn.
    private let terminal: Int32
    /// Each redirected descriptor's pipe (its read end) and where its bytes go (the
    /// descriptor as it was).
    private let relays: [(source: Int32, destination: Int32, descriptor: Int32)]
    /// Written to once to stop the relay thread.
    private let wake: (read: Int32, write: Int32)
    private let stopped = DispatchSemaphore(value: 0)

    /// Starts the line when stderr is a terminal, redirecting stdout (when a terminal as
    /// well) and stderr through it; nil otherwise. Call before anything is printed.
    static func start() throws -> ProgressLine? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        // stdout is about to be a pipe: line buffering keeps each line's output prompt.
        setvbuf(standardOutput, nil, _IOLBF, 0)
        let descriptors = (isatty(STDOUT_FILENO) == 1 ? [STDOUT_FILENO] : []) + [STDERR_FILENO]
        var relays: [(source: Int32, destination: Int32, descriptor: Int32)] = []
        for descriptor in descriptors {
            let (read, write) = try pipeEnds()
            relays.append((read, fcntl(descriptor, F_DUPFD_CLOEXEC, 3), descriptor))
            dup2(write, descriptor)
            close(write)
        }
        let line = ProgressLine(
            terminal: relays.last!.destination, relays: relays, wake: try pipeEnds())
        shown.withTSanVisibleLock { $0 = line }
        Thread { line.relay() }.start()
        return line
    }

    private init(
        terminal: Int32, relays: [(source: Int32, destination: Int32, descriptor: Int32)], wake: (Int32, Int32)
    ) {
        self.terminal = terminal
        self.relays = relays
        self.wake = wake
    }

    /// glibc's `stdout` stream (what `print` writes to), read through its symbol: Swift 6
    /// refuses the imported global as shared mutable state.
    private static var standardOutput: UnsafeMutablePointer<FILE>? {
        dlsym(nil, "stdout")?.load(as: UnsafeMutablePointer<FILE>?.self)
    }

    /// A close-on-exec pipe.
    private static func pipeEnds() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw SupportError.spawnFailed("pipe", errno) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    /// Shows `scenario` (its name and place, such as `http (2/6)`), expected to take
    /// `seconds`, with `secondsAfter` to go after it.
    func begin(_ scenario: String, seconds: Double, secondsAfter: Double) {
        status.withTSanVisibleLock {
            $0 = Status(scenario: scenario, secondsAfter: secondsAfter, scenarioSeconds: seconds)
        }
    }

    /// Names `server` as the one being measured, on the line shown (if any).
    static func running(_ server: String) {
        shown.withTSanVisibleLock { $0 }?.status.withTSanVisibleLock { $0.server = server }
    }

    /// Clears the line, puts stdout and stderr back and waits until everything written
    /// through them is out.
    func stop() {
        fflush(nil)
        Self.shown.withTSanVisibleLock { $0 = nil }
        for relay in relays {
            dup2(relay.destination, relay.descriptor)
        }
        _ = write(wake.write, "x", 1)
        stopped.wait()
        for relay in relays where relay.destination != terminal {
            close(relay.destination)
        }
        close(terminal)
        for descriptor in [wake.read, wake.write] + relays.map(\.source) { close(descriptor) }
    }

    /// The relay thread: copies each pipe's bytes to where they belong, clearing the line
    /// first, and redraws it after a quarter of a second without output (only between
    /// whole lines); drains the pipes and clears the line once stopped.
    private func relay() {
        var polled = relays.map { pollfd(fd: $0.source, events: Int16(POLLIN), revents: 0) }
        polled.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
        var atLineStart = [Bool](repeating: true, count: relays.count)
        var drawn = false
        var stopping = false
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let ready = poll(&polled, nfds_t(polled.count), stopping ? 0 : 250)
            if ready < 0, errno == EINTR { continue }
            if ready <= 0 {
                if stopping || ready < 0 { break }
                if atLineStart.allSatisfy({ $0 }) {
                    draw()
                    drawn = true
                }
                continue
            }
            for index in relays.indices where polled[index].revents != 0 {
                let count = read(relays[index].source, buffer.baseAddress, buffer.count)
                guard count > 0 else {
                    polled[index].fd = -1
                    continue
                }
                if drawn {
                    Self.writeAll(terminal, Array("\r\u{1B}[K".utf8))
                    drawn = false
                }
                Self.writeAll(relays[index].destination, Array(buffer[..<count]))
                atLineStart[index] = buffer[count - 1] == UInt8(ascii: "\n")
            }
            if polled[relays.count].revents != 0 {
                stopping = true
                polled[relays.count].fd = -1
            }
        }
        if drawn { Self.writeAll(terminal, Array("\r\u{1B}[K".utf8)) }
        stopped.signal()
    }

    /// Draws the line, cut to the terminal's width so that it never wraps.
    private func draw() {
        let status = status.withTSanVisibleLock { $0 }
        let elapsed = (ContinuousClock.now - status.scenarioStart) / .seconds(1)
        let left = status.secondsAfter + max(status.scenarioSeconds - elapsed, 0)
        let minutes = Int(left.rounded()) / 60
        let seconds = Int(left.rounded()) % 60
        var text = "torus-bench \(status.scenario)"
        if !status.server.isEmpty { text += " | \(status.server)" }
        text += " | about \(minutes)m\(seconds < 10 ? "0" : "")\(seconds)s left"
        var size = winsize()
        if withUnsafeMutablePointer(to: &size, { ioctl(terminal, UInt(TIOCGWINSZ), $0) }) == 0, size.ws_col > 1 {
            text = String(text.prefix(Int(size.ws_col) - 1))
        }
        Self.writeAll(terminal, Array("\r\u{1B}[K\(text)".utf8))
    }

    /// Writes all of `bytes` to `descriptor`, whatever the pipe or terminal takes at once.
    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
