import CLiburing
import Glibc
import Logging
import Synchronization
import SystemPackage

/// Whether this process can use io_uring, decided once: the sysctl, then a real ring
/// with Torus's flags, the opcodes it needs and wait timeouts (`IORING_FEAT_EXT_ARG`).
enum IOUringProbe {
    /// Why io_uring cannot be used here, or nil when it can.
    static let unavailability: String? = probe()

    private static let fallbackLogged = Mutex(false)

    /// Logs, once per process, that `.automatic` fell back to epoll and why.
    static func logFallback(_ reason: String) {
        let first = fallbackLogged.withTSanVisibleLock { logged in
            defer { logged = true }
            return !logged
        }
        if first { Logger(label: "torus").notice("io_uring unavailable (\(reason)); using epoll") }
    }

    /// The opcodes Torus submits: each operation's own, and the linked timeout the
    /// reactor adds to operations with a deadline.
    static var requiredOpcodes: [io_uring_op] {
        allOperationTypes.map { $0.opcode } + [CompletionReactor.linkedTimeoutOpcode]
    }

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
