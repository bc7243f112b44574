import CLiburing
import SystemPackage

/// A regular file owned by an ``EventLoop``: open, positional reads and writes, fsync,
/// stat and close all complete asynchronously, never blocking the loop (io_uring runs
/// them in the kernel; an epoll loop runs them on its blocking pool).
public final class File: @unchecked Sendable {
    // @unchecked Sendable: `descriptor` is used only on `loop`'s thread (async calls
    // hop there).

    /// The loop that owns the file.
    public let loop: EventLoop
    let descriptor: Descriptor
    /// Opened with ``SystemPackage/FileDescriptor/OpenOptions/direct``: its reads and
    /// writes are submitted at once, not batched.
    let isDirect: Bool

    private init(descriptor: Descriptor, isDirect: Bool) {
        self.loop = descriptor.loop
        self.descriptor = descriptor
        self.isDirect = isDirect
    }

    deinit { Descriptor.closeAbandoned(descriptor) }

    /// Opens `path`.
    ///
    /// - Parameters:
    ///   - access: read, write, or both.
    ///   - options: `.create`, `.truncate`, `.append`, `.exclusiveCreate`, `.direct`
    ///     (O_DIRECT), ... (close-on-exec is always added).
    ///   - permissions: for a created file; `0o644` when nil.
    /// - Throws: ``TorusError`` (`.open`): `.system(.noSuchFileOrDirectory)`, ...
    public static func open(
        _ path: FilePath, _ access: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = [], permissions: FilePermissions? = nil,
        on loop: EventLoop? = nil
    ) async throws -> File {
        let loop = try EventLoop.resolve(loop, for: .open)
        return try await loop.onLoop(.open) {
            try loop.checkUsable(.open)
            // The kernel copies the path at submission: a C copy outlives the await.
            guard let cPath = path.withPlatformString({ strdup($0) }) else {
                throw TorusError(.open, .system(.noMemory))
            }
            defer { free(cPath) }
            let flags = access.rawValue | options.rawValue | O_CLOEXEC
            let mode = mode_t((permissions ?? [.ownerReadWrite, .groupRead, .otherRead]).rawValue)
            let fd = try await loop.submit(OpenAt(path: cPath, flags: flags, mode: mode)).value(.open, loop: loop)
            return File(
                descriptor: try Descriptor.adopt(fd, on: loop, for: .open), isDirect: options.contains(.direct))
        }
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns the count, 0 at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) async throws -> Int {
        let offset = try Self.checked(offset, .read)
        return try await loop.onLoop(.read) {
            Int(
                try await descriptor.perform(.read) {
                    ReadAt(fd: $0, buffer: buffer, offset: offset, submitsAtOnce: isDirect)
                })
        }
    }

    /// Writes all of `bytes` at `offset`, continuing after short writes.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) async throws {
        var position = try Self.checked(offset, .write)
        try await loop.onLoop(.write) {
            var remaining = bytes
            while !remaining.isEmpty {
                let chunk = remaining
                let at = position
                let written = try await descriptor.perform(.write) {
                    WriteAt(
                        fd: $0, buffer: UnsafeMutableRawBufferPointer(mutating: chunk), offset: at,
                        submitsAtOnce: isDirect)
                }
                if written == 0 { throw TorusError(.write, .system(.noSpace)) }
                remaining = UnsafeRawBufferPointer(rebasing: remaining[Int(written)...])
                position += UInt64(written)
            }
        }
    }

    /// Writes all of `bytes` at `offset` (copied once into a buffer the kernel may read).
    public func write(_ bytes: some Collection<UInt8>, at offset: Int64) async throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        try await write(UnsafeRawBufferPointer(buffer), at: offset)
    }

    /// Reads the whole file from offset 0 to its end.
    public func readAll() async throws -> [UInt8] {
        let chunkSize = 1 << 20
        let size = try await stat().size
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(size))
        while true {
            let count = try await read(into: buffer, at: Int64(bytes.count))
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer.prefix(count))
        }
    }

    /// Flushes the file's data and metadata to the device.
    public func fsync() async throws {
        try await loop.onLoop(.fsync) {
            _ = try await descriptor.perform(.fsync) { Fsync(fd: $0) }
        }
    }

    /// What ``stat()`` reports.
    public struct Status: Sendable, Equatable {
        /// Size in bytes.
        public var size: Int64
        /// Permission bits.
        public var permissions: FilePermissions
        /// Whether it is a regular file.
        public var isRegularFile: Bool
        /// Last modification, as seconds and nanoseconds since the epoch.
        public var modificationTime: Duration
    }

    /// The file's size, permissions, type and modification time (statx).
    public func stat() async throws -> Status {
        try await loop.onLoop(.stat) {
            let buffer = UnsafeMutablePointer<statx>.allocate(capacity: 1)
            defer { buffer.deallocate() }
            _ = try await descriptor.perform(.stat) { Statx(fd: $0, buffer: buffer) }
            let info = buffer.pointee
            return Status(
                size: Int64(info.stx_size),
                permissions: FilePermissions(rawValue: CModeT(info.stx_mode) & 0o7777),
                isRegularFile: (Int32(info.stx_mode) & S_IFMT) == S_IFREG,
                modificationTime: .seconds(info.stx_mtime.tv_sec) + .nanoseconds(Int64(info.stx_mtime.tv_nsec)))
        }
    }

    /// Closes the file. Using it afterwards, or closing it again, throws `.closed`.
    public func close() async throws {
        try await loop.onLoop(.close) { try await descriptor.close() }
    }

    /// Opens `path`, reads it whole and closes it.
    public static func readAll(_ path: FilePath, on loop: EventLoop? = nil) async throws -> [UInt8] {
        let file = try await open(path, .readOnly, on: loop)
        do {
            let bytes = try await file.readAll()
            try await file.close()
            return bytes
        } catch {
            try? await file.close()
            throw error
        }
    }

    private static func checked(_ offset: Int64, _ operation: TorusError.Operation) throws(TorusError) -> UInt64 {
        guard offset >= 0 else {
            throw TorusError(operation, .invalidArgument("offset must not be negative, got \(offset)"))
        }
        return UInt64(offset)
    }
}
