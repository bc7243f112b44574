import Glibc
import SystemPackage
import Testing

@testable import Torus

@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct FileTests {
    /// 64 MiB written in 1 MiB chunks at shuffled offsets, flushed, and read back whole
    /// and at an offset, byte for byte.
    @Test(arguments: TestBackend.allCases)
    func sixtyFourMebibytesRoundTripByteExact(_ backend: TestBackend) async throws {
        let size = 64 << 20
        let chunkSize = 1 << 20
        let contents = randomBytes(size, seed: 64)
        try await withTemporaryDirectory { directory in
            let path = directory.file("large.bin")
            try await withTestLoop(backend) { _ in
                let file = try await File.open(path, .readWrite, options: [.create, .exclusiveCreate])
                var generator = SplitMix64(seed: 6)
                for chunk in Array(0..<(size / chunkSize)).shuffled(using: &generator) {
                    let offset = chunk * chunkSize
                    try await file.write(contents[offset..<offset + chunkSize], at: Int64(offset))
                }
                try await file.fsync()
                let status = try await file.stat()
                #expect(status.size == Int64(size))
                #expect(status.isRegularFile)

                let readBack = try await file.readAll()
                #expect(readBack.count == size)
                #expect(bytesEqual(readBack, contents), "the file read back differs from what was written")

                // Positional reads: inside, across the end, and past the end.
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 10_000, alignment: 1)
                defer { buffer.deallocate() }
                let offset = 12_345_678
                #expect(try await file.read(into: buffer, at: Int64(offset)) == 10_000)
                #expect(
                    bytesEqual(
                        UnsafeRawBufferPointer(buffer),
                        contents.withUnsafeBytes {
                            UnsafeRawBufferPointer(rebasing: $0[offset..<offset + 10_000])
                        }))
                #expect(try await file.read(into: buffer, at: Int64(size - 100)) == 100)
                #expect(Array(buffer.prefix(100)) == Array(contents.suffix(100)))
                #expect(try await file.read(into: buffer, at: Int64(size)) == 0)
                #expect(try await file.read(into: buffer, at: Int64(size) * 2) == 0)
                try await file.close()

                // Independently of Torus: the bytes are on disk. (Inside the loop's body,
                // so under the descriptor gate: a test lowering the open-file limit may run
                // as soon as the loop is gone.)
                let descriptor = try FileDescriptor.open(path, .readOnly)
                defer { try? descriptor.close() }
                #expect(try descriptor.seek(offset: 0, from: .end) == Int64(size))
                let tail = try [UInt8](unsafeUninitializedCapacity: 4096) { buffer, count in
                    count = try descriptor.read(
                        fromAbsoluteOffset: Int64(size - 4096), into: UnsafeMutableRawBufferPointer(buffer))
                }
                #expect(tail == Array(contents.suffix(4096)))
            }
        }
    }

    /// A file opened with `.direct` (O_DIRECT: its reads and writes are submitted at
    /// once, bypassing the page cache) writes and reads aligned blocks byte for byte, and
    /// the kernel sees the flag. Under /var/tmp, which is disk-backed here (tmpfs before
    /// Linux 6.6 refuses O_DIRECT: then the open's EINVAL is checked instead).
    @Test(arguments: TestBackend.allCases)
    func directFilesReadAndWriteAlignedBlocks(_ backend: TestBackend) async throws {
        let directory = try TemporaryDirectory(under: "/var/tmp")
        defer { directory.remove() }
        let path = directory.file("direct.data")
        try await withTestLoop(backend) { _ in
            let file: File
            do {
                file = try await File.open(path, .readWrite, options: [.create, .truncate, .direct])
            } catch let error as TorusError where error.errno == .invalidArgument {
                return  // This filesystem has no O_DIRECT.
            }
            #expect(file.isDirect)
            #expect(fcntl(file.descriptor.fd, F_GETFL) & FileDescriptor.OpenOptions.direct.rawValue != 0)
            let block = 4096
            let bytes = randomBytes(4 * block, seed: 31)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 * block, alignment: block)
            defer { buffer.deallocate() }
            buffer.copyBytes(from: bytes)
            try await file.write(UnsafeRawBufferPointer(buffer), at: 0)
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            for index in (0..<4).reversed() {
                let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[index * block..<(index + 1) * block])
                #expect(try await file.read(into: slice, at: Int64(index * block)) == block)
            }
            #expect(Array(buffer) == bytes)
            // O_DIRECT refuses a misaligned offset: a clear error, not a silent copy.
            let misaligned = await torusError {
                try await file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<block]), at: 1)
            }
            #expect(misaligned == TorusError(.read, .system(.invalidArgument)))
            try await file.close()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func writeAtAnOffsetOverwritesInPlace(_ backend: TestBackend) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("small.txt")
            try await withTestLoop(backend) { _ in
                let file = try await File.open(path, .readWrite, options: [.create, .truncate])
                try await file.write(Array("hello, world".utf8), at: 0)
                try await file.write(Array("WORLD".utf8), at: 7)
                // Writing past the end leaves a hole of zeros.
                try await file.write(Array("!".utf8), at: 14)
                #expect(try await file.readAll() == Array("hello, WORLD".utf8) + [0, 0, 33])
                #expect(try await file.stat().size == 15)
                try await file.close()
                #expect(try await File.readAll(path) == Array("hello, WORLD".utf8) + [0, 0, 33])
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func appendAndTruncateOptions(_ backend: TestBackend) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("log.txt")
            try await withTestLoop(backend) { _ in
                let first = try await File.open(path, .writeOnly, options: [.create])
                try await first.write(Array("one".utf8), at: 0)
                try await first.close()
                let appending = try await File.open(path, .writeOnly, options: [.append])
                try await appending.write(Array("two".utf8), at: 0)  // O_APPEND wins over the offset
                try await appending.close()
                #expect(try await File.readAll(path) == Array("onetwo".utf8))
                let truncating = try await File.open(path, .writeOnly, options: [.truncate])
                #expect(try await truncating.stat().size == 0)
                try await truncating.close()
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func createdFilesGetTheRequestedPermissions(_ backend: TestBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await withTestLoop(backend) { _ in
                let file = try await File.open(
                    directory.file("private"), .writeOnly, options: [.create], permissions: [.ownerReadWrite])
                let status = try await file.stat()
                #expect(status.permissions == [.ownerReadWrite])
                #expect(status.size == 0)
                #expect(status.modificationTime > .zero)
                try await file.close()
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func openingAMissingFileThrowsNoSuchFile(_ backend: TestBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await withTestLoop(backend) { _ in
                await expectTorusError(.open, .system(.noSuchFileOrDirectory)) {
                    try await File.open(directory.file("missing"), .readOnly)
                }
                await expectTorusError(.open, .system(.noSuchFileOrDirectory)) {
                    try await File.readAll(directory.file("missing"))
                }
                await expectTorusError(.open, .system(.noSuchFileOrDirectory)) {
                    try await File.open(directory.file("no/such/dir"), .writeOnly, options: [.create])
                }
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func openErrorsAreReported(_ backend: TestBackend) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("exists")
            try await withTestLoop(backend) { _ in
                try await File.open(path, .writeOnly, options: [.create]).close()
                await expectTorusError(.open, .system(.fileExists)) {
                    try await File.open(path, .writeOnly, options: [.create, .exclusiveCreate])
                }
                await expectTorusError(.open, .system(.isDirectory)) {
                    try await File.open(directory.path, .writeOnly)
                }
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func negativeOffsetsAreInvalidArguments(_ backend: TestBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await withTestLoop(backend) { _ in
                let file = try await File.open(directory.file("f"), .readWrite, options: [.create])
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
                defer { buffer.deallocate() }
                for (operation, call) in [
                    (TorusError.Operation.read, { _ = try await file.read(into: buffer, at: -1) }),
                    (.write, { try await file.write([1], at: -1) }),
                    (.write, { try await file.write(UnsafeRawBufferPointer(buffer), at: .min) }),
                ] as [(TorusError.Operation, () async throws -> Void)] {
                    let error = await torusError(call)
                    #expect(error?.operation == operation)
                    guard case .invalidArgument(let text) = error?.reason else {
                        Issue.record("expected .invalidArgument, got \(String(describing: error))")
                        continue
                    }
                    #expect(text.contains("offset"))
                }
                #expect(try await file.stat().size == 0)  // nothing was written
                try await file.close()
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func wrongAccessModeReportsBadDescriptor(_ backend: TestBackend) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("f")
            try await withTestLoop(backend) { _ in
                let writer = try await File.open(path, .writeOnly, options: [.create])
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
                defer { buffer.deallocate() }
                await expectTorusError(.read, .system(.badFileDescriptor)) {
                    try await writer.read(into: buffer, at: 0)
                }
                try await writer.close()
                let reader = try await File.open(path, .readOnly)
                await expectTorusError(.write, .system(.badFileDescriptor)) {
                    try await reader.write([1], at: 0)
                }
                try await reader.close()
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func useAfterCloseThrowsClosed(_ backend: TestBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await withTestLoop(backend) { _ in
                let file = try await File.open(directory.file("f"), .readWrite, options: [.create])
                try await file.close()
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
                defer { buffer.deallocate() }
                await expectTorusError(.read, .closed) { try await file.read(into: buffer, at: 0) }
                await expectTorusError(.write, .closed) { try await file.write([1], at: 0) }
                await expectTorusError(.fsync, .closed) { try await file.fsync() }
                await expectTorusError(.stat, .closed) { try await file.stat() }
                await expectTorusError(.stat, .closed) { try await file.readAll() }
                await expectTorusError(.close, .closed) { try await file.close() }
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func filesWorkFromOffTheLoopAndNeedALoop(_ backend: TestBackend) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("f")
            try await withTestLoop(backend) { loop in
                try await offLoop {
                    await expectTorusError(.open, .notOnLoop) { try await File.open(path, .readOnly) }
                    let file = try await File.open(path, .readWrite, options: [.create], on: loop)
                    #expect(file.loop === loop)
                    try await file.write(Array("abc".utf8), at: 0)
                    #expect(try await file.readAll() == Array("abc".utf8))
                    try await file.close()
                    #expect(try await File.readAll(path, on: loop) == Array("abc".utf8))
                }
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func droppedFilesAreClosedByTheirLoop(_ backend: TestBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await withTestLoop(backend) { loop in
                var file: File? = try await File.open(directory.file("f"), .writeOnly, options: [.create])
                #expect(await loop.statistics.descriptorsOwned == 1)
                #expect(file != nil)
                file = nil
                #expect(await waitUntil(loop) { $0.descriptorsOwned == 0 })
            }
        }
    }
}
