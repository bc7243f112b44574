import Glibc

/// What /proc says about another process: the figures a benchmark parent reads of each
/// contender's child, so CPU and memory are that contender's alone.
enum ProcessProbe {
    /// CPU time (user + system) of every thread of `pid` so far, in nanoseconds, from
    /// /proc/PID/task/*/schedstat: the loop thread, and whatever else it runs.
    static func cpuNanoseconds(_ pid: pid_t) -> UInt64 {
        entries(of: "/proc/\(pid)/task").reduce(0) { total, thread in
            total + (UInt64(read("/proc/\(pid)/task/\(thread)/schedstat").prefix { $0 != " " }) ?? 0)
        }
    }

    /// A memory figure of /proc/PID/status in KiB: `VmRSS` (resident now) or `VmHWM`
    /// (the peak); 0 when the process is gone.
    static func memoryKiB(_ pid: pid_t, _ field: String) -> Int {
        for line in read("/proc/\(pid)/status").split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: \.isWhitespace).first ?? "") ?? 0
        }
        return 0
    }

    /// How many descriptors `pid` has open (/proc/PID/fd).
    static func openDescriptors(_ pid: pid_t) -> Int {
        entries(of: "/proc/\(pid)/fd").count
    }

    /// How many of `pid`'s descriptors are sockets (/proc/PID/fd links to `socket:[...]`):
    /// its listener and connections, without the pipes, eventfds and rings a runtime may
    /// open lazily.
    static func openSockets(_ pid: pid_t) -> Int {
        entries(of: "/proc/\(pid)/fd").count { descriptor in
            var target = [CChar](repeating: 0, count: 64)
            let length = readlink("/proc/\(pid)/fd/\(descriptor)", &target, target.count - 1)
            return length > 0 && target.prefix(length).map { UInt8(bitPattern: $0) }.starts(with: "socket:".utf8)
        }
    }

    /// The numeric entries of a /proc directory (threads, descriptors).
    private static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.first?.isNumber == true { names.append(name) }
        }
        return names
    }

    /// The text of a small /proc file ("" when it cannot be read).
    private static func read(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = Glibc.read(fd, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }
}
