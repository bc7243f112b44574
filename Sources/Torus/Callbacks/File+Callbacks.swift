import SystemPackage

// The callback twins of the file calls: each starts its async twin with
// `EventLoop.start(_:completion:)`, so it has the same semantics, results and errors.
// Call them on the loop thread; `completion` runs there, once. Buffers passed in must
// stay valid until `completion` runs.

extension File {
    /// ``open(_:_:options:permissions:on:)`` with a completion closure.
    @discardableResult
    public static func open(
        _ path: FilePath, _ access: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = [], permissions: FilePermissions? = nil,
        on loop: EventLoop? = nil, completion: @escaping (Result<File, any Error>) -> Void
    ) -> CancellationHandle {
        let loop = EventLoop.forCallbacks(loop)
        return loop.start(
            { try await open(path, access, options: options, permissions: permissions, on: loop) },
            completion: completion)
    }

    /// ``readAll(_:on:)`` with a completion closure.
    @discardableResult
    public static func readAll(
        _ path: FilePath, on loop: EventLoop? = nil, completion: @escaping (Result<[UInt8], any Error>) -> Void
    ) -> CancellationHandle {
        let loop = EventLoop.forCallbacks(loop)
        return loop.start({ try await readAll(path, on: loop) }, completion: completion)
    }

    /// ``read(into:at:)`` with a completion closure: the count, 0 at end of file.
    @discardableResult
    public func read(
        into buffer: UnsafeMutableRawBufferPointer, at offset: Int64,
        completion: @escaping (Result<Int, any Error>) -> Void
    ) -> CancellationHandle {
        loop.start({ try await self.read(into: buffer, at: offset) }, completion: completion)
    }

    /// ``write(_:at:)-(UnsafeRawBufferPointer,_)`` with a completion closure.
    @discardableResult
    public func write(
        _ bytes: UnsafeRawBufferPointer, at offset: Int64, completion: @escaping (Result<Void, any Error>) -> Void
    ) -> CancellationHandle {
        loop.start({ try await self.write(bytes, at: offset) }, completion: completion)
    }

    /// ``write(_:at:)-(Collection<UInt8>,_)`` with a completion closure.
    @discardableResult
    public func write(
        _ bytes: some Collection<UInt8>, at offset: Int64, completion: @escaping (Result<Void, any Error>) -> Void
    ) -> CancellationHandle {
        loop.start({ try await self.write(bytes, at: offset) }, completion: completion)
    }

    /// ``readAll()`` with a completion closure.
    @discardableResult
    public func readAll(completion: @escaping (Result<[UInt8], any Error>) -> Void) -> CancellationHandle {
        loop.start({ try await self.readAll() }, completion: completion)
    }

    /// ``fsync()`` with a completion closure.
    @discardableResult
    public func fsync(completion: @escaping (Result<Void, any Error>) -> Void) -> CancellationHandle {
        loop.start({ try await self.fsync() }, completion: completion)
    }

    /// ``stat()`` with a completion closure.
    @discardableResult
    public func stat(completion: @escaping (Result<Status, any Error>) -> Void) -> CancellationHandle {
        loop.start({ try await self.stat() }, completion: completion)
    }

    /// ``close()`` with a completion closure.
    @discardableResult
    public func close(completion: @escaping (Result<Void, any Error>) -> Void) -> CancellationHandle {
        loop.start({ try await self.close() }, completion: completion)
    }
}
