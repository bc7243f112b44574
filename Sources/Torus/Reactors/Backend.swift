import CLiburing
import Glibc
import Logging
import Synchronization
import SystemPackage

/// Which reactor an ``EventLoop`` runs on.
public enum Backend: String, Sendable, CaseIterable, CustomStringConvertible {
    /// io_uring: submit operations, reap completions.
    case ioUring = "io_uring"
    /// epoll: wait for readiness, then make non-blocking calls.
    case epoll
    /// io_uring when this process can use it, else epoll (with one log line saying why).
    case automatic

    /// The name `TORUS_BACKEND` and `--backend` accept.
    public var description: String { rawValue }

    /// The environment variable that overrides the configured backend.
    public static let environmentVariable = "TORUS_BACKEND"

    /// The concrete backend (`.ioUring` or `.epoll`) a loop configured with `self` gets.
    ///
    /// `TORUS_BACKEND=io_uring|epoll` overrides the configuration. `.automatic` probes
    /// io_uring once per process and falls back to epoll when it is unavailable.
    /// - Throws: `.eventLoop` with `.ioUringUnavailable` when io_uring is asked for
    ///   explicitly and cannot be used; `.invalidArgument` for a bad `TORUS_BACKEND`.
    public func resolved() throws(TorusError) -> Backend {
        var requested = self
        if let value = getenv(Self.environmentVariable).map({ String(cString: $0) }), !value.isEmpty {
            guard let override = Backend(rawValue: value) else {
                throw TorusError(
                    .eventLoop,
                    .invalidArgument("\(Self.environmentVariable)=\(value): expected io_uring, epoll or automatic"))
            }
            requested = override
        }
        switch requested {
        case .epoll:
            return .epoll
        case .ioUring:
            if let reason = IOUringProbe.unavailability { throw TorusError(.eventLoop, .ioUringUnavailable(reason)) }
            return .ioUring
        case .automatic:
            guard let reason = IOUringProbe.unavailability else { return .ioUring }
            IOUringProbe.logFallback(reason)
            return .epoll
        }
    }
}

/// Whether this process can use io_uring, decided once: the sysctl, then a real ring
/// with Torus's flags, the opcodes it needs and wait timeouts (`IORING_FEAT_EXT_ARG`).
enum IOUringProbe {
    /// Why io_uring cannot be used here, or nil when it can.
    static let unavailability: String? = probe()

    private static let fallbackLogged = Mutex(false)

    /// Logs, once per process, that `.automatic` fell back to epoll and why.
    static func logFallback(_ reason: String) {
        let first = fallbackLogged.withLock { logged in
            defer { logged = true }
            return !logged
        }
        if first { Logger(label: "torus").notice("io_uring unavailable (\(reason)); using epoll") }
    }

    /// The opcodes Torus submits.
    static let requiredOpcodes: [io_uring_op] = [
        IORING_OP_NOP, IORING_OP_TIMEOUT, IORING_OP_LINK_TIMEOUT, IORING_OP_ASYNC_CANCEL, IORING_OP_ACCEPT,
        IORING_OP_CONNECT, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_READ, IORING_OP_WRITE, IORING_OP_OPENAT,
        IORING_OP_CLOSE, IORING_OP_FSYNC, IORING_OP_STATX,
    ]

    private static func probe() -> String? {
        if let text = try? readSysctl("/proc/sys/kernel/io_uring_disabled"), let value = Int(text) {
            if value == 2 { return "kernel.io_uring_disabled=2" }
            if value == 1 && geteuid() != 0 { return "kernel.io_uring_disabled=1 and not privileged" }
        }
        do {
            let ring = try Ring(entries: 8, completionEntries: 16)
            var missing: [UInt32] = []
            for opcode in requiredOpcodes where !ring.supports(opcode) { missing.append(opcode.rawValue) }
            if !missing.isEmpty { return "the kernel lacks io_uring opcodes \(missing)" }
            // Timers bound the blocking wait with a timeout that needs no SQE (Linux 5.11).
            if !ring.hasWaitTimeout { return "the kernel lacks IORING_FEAT_EXT_ARG (wait timeouts)" }
            return nil
        } catch {
            return "io_uring_setup failed: \(error.description) (\(error.rawValue))"
        }
    }

    private static func readSysctl(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Errno(rawValue: Glibc.errno) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { throw Errno(rawValue: Glibc.errno) }
        return String(
            decoding: buffer[..<count].filter { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }, as: UTF8.self)
    }
}

/// The reactor a loop drives: one of two designs behind the same operations.
enum Reactor {
    case completion(CompletionReactor)
    case selector(SelectorReactor)
}
