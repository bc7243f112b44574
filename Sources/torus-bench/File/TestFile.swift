import TorusTestSupport
import SystemPackage
import Glibc

/// The file `torus-bench file` reads at random: created once, filled with pseudo-random
/// bytes (so no filesystem can skip storing it), and reused while its size is right.
enum TestFile {
    /// Where the file lives in `directory`.
    static func path(in directory: String) -> String { directory + "/torus-bench-file.data" }

    /// Creates the file of `size` bytes in `directory` unless it is there with that size;
    /// returns its path and whether it was created.
    static func prepare(in directory: String, size: Int) throws -> (path: String, created: Bool) {
        let path = path(in: directory)
        var status = stat()
        if stat(path, &status) == 0, Int(status.st_size) == size { return (path, false) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SupportError.fileFailed(path, errno) }
        defer { close(fd) }
        let chunk = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: (1 << 20) / 8)
        defer { chunk.deallocate() }
        var random = SplitMix64(seed: 42)
        var written = 0
        while written < size {
            for index in chunk.indices { chunk[index] = random.next() }
            let count = min(size - written, chunk.count * 8)
            guard write(fd, chunk.baseAddress, count) == count else { throw SupportError.fileFailed(path, errno) }
            written += count
        }
        guard fsync(fd) == 0 else { throw SupportError.fileFailed(path, errno) }
        return (path, true)
    }

    /// Whether the filesystem of `path` serves O_DIRECT reads: tmpfs and some others
    /// refuse the open or the read with EINVAL.
    static func acceptsDirectIO(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | SystemPackage.FileDescriptor.OpenOptions.direct.rawValue | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let buffer = RandomReads.alignedBuffer()
        defer { buffer.deallocate() }
        return pread(fd, buffer.baseAddress, buffer.count, 0) == buffer.count
    }

    /// Reads the whole file once, so buffered runs all find it in the page cache (the
    /// first contender would otherwise pay for the device alone).
    static func warmPageCache(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SupportError.fileFailed(path, errno) }
        defer { close(fd) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while read(fd, chunk.baseAddress, chunk.count) > 0 {}
    }
}
