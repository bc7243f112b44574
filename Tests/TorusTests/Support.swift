import Glibc
import Synchronization
import SystemPackage
import Testing

@testable import Torus
// Re-exported: the helpers torus-bench shares with the tests (ChildProcess, Directory,
// SplitMix64, EchoHandler) are in scope in every test file.
@_exported import TorusTestSupport

// Shared helpers for the Torus test suite: loops created from a backend's configuration
// and checked for leaks, the open-file limit, pseudo-random bytes, connected pairs, and a
// plain blocking socket for playing a peer the library does not control.

// MARK: - Backends

/// The reactor a test loop runs on. Every loop-based test takes one as its argument
/// (`@Test(arguments: TestBackend.allCases)`), so a second reactor is one more case here.
enum TestBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case ioUring
    case epoll

    /// The configuration a test loop is built from.
    var configuration: EventLoop.Configuration {
        var configuration = EventLoop.Configuration()
        configuration.threadName = "torus-test"
        configuration.backend =
            switch self {
            case .ioUring: .ioUring
            case .epoll: .epoll
            }
        return configuration
    }

    func makeLoop() throws -> EventLoop {
        try EventLoop(configuration: configuration)
    }

    var testDescription: String {
        switch self {
        case .ioUring: "io_uring"
        case .epoll: "epoll"
        }
    }
}

// MARK: - Running a test on a loop

/// Runs `body` on a fresh loop of `backend` (pinned: the body and its child tasks run on
/// the loop thread), then expects that no operation slot, descriptor or receive buffer
/// leaked, then shuts the loop down, also when `body` throws. `configure` adjusts the
/// loop's configuration (a small receive pool, say).
///
/// Tests take the descriptor gate shared (see ``DescriptorGate``); the test that lowers
/// the open-file limit takes it exclusively.
func withTestLoop<Result: Sendable>(
    _ backend: TestBackend,
    access: DescriptorGate.Access = .shared,
    configure: (inout EventLoop.Configuration) -> Void = { _ in },
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @Sendable (EventLoop) async throws -> Result
) async throws -> Result {
    try await withDescriptorGate(access) {
        var configuration = backend.configuration
        configure(&configuration)
        let loop = try EventLoop(configuration: configuration)
        let result: Result
        do {
            result = try await loop.run { try await body(loop) }
        } catch {
            await loop.shutdown()
            throw error
        }
        await expectNoLeaks(on: loop, sourceLocation: sourceLocation)
        await loop.shutdown()
        return result
    }
}

/// Expects the loop to hold no operation slot, own no descriptor and lend no receive
/// buffer: the one leak check. Handles dropped without `close()` are closed by a task
/// their `deinit` queues on the loop, so it lets the loop settle before deciding.
func expectNoLeaks(on loop: EventLoop, sourceLocation: SourceLocation = #_sourceLocation) async {
    await expectSettled(loop, slots: 0, descriptors: 0, sourceLocation: sourceLocation)
}

/// Expects the loop to be back to `baseline`'s slots and to `baseline`'s descriptors plus
/// `openDescriptors`, lending no receive buffer: the leak check for a test that started
/// with some in use.
func expectBack(
    to baseline: LoopStatistics, on loop: EventLoop, openDescriptors: Int = 0,
    sourceLocation: SourceLocation = #_sourceLocation
) async {
    await expectSettled(
        loop, slots: baseline.operationSlotsInUse, descriptors: baseline.descriptorsOwned + openDescriptors,
        sourceLocation: sourceLocation)
}

/// Waits until the loop holds `slots` operation slots and owns `descriptors` descriptors,
/// lending no receive buffer, then expects each. First a bounded number of loop turns (a
/// yield and a no-op each: what handles dropped without `close()` queued runs), then, if
/// that was not enough, ``waitUntil(_:_:)``, which gives the kernel time (a peer's end).
private func expectSettled(
    _ loop: EventLoop, slots: Int, descriptors: Int, sourceLocation: SourceLocation
) async {
    let settled: @Sendable (LoopStatistics) -> Bool = {
        $0.operationSlotsInUse == slots && $0.descriptorsOwned == descriptors && $0.receiveBuffersLent == 0
    }
    let turned = await withTaskExecutorPreference(loop) {
        var statistics = await loop.statistics
        for _ in 0..<100 where !settled(statistics) {
            await Task.yield()
            try? await loop.nop()
            statistics = await loop.statistics
        }
        return settled(statistics)
    }
    if !turned { await waitUntil(loop, settled) }
    let statistics = await loop.statistics
    #expect(
        statistics.operationSlotsInUse == slots, "leaked operation slots: \(statistics)", sourceLocation: sourceLocation
    )
    #expect(
        statistics.descriptorsOwned == descriptors, "leaked descriptors: \(statistics)", sourceLocation: sourceLocation)
    #expect(statistics.receiveBuffersLent == 0, "leaked receive buffers: \(statistics)", sourceLocation: sourceLocation)
}

/// Waits until `condition` holds for the loop's statistics, e.g. until an operation a
/// task started is in flight: a few loop turns, then 1 ms sleeps, for at most about
/// 10 seconds. Returns whether it held.
@discardableResult
func waitUntil(
    _ loop: EventLoop, _ condition: @Sendable (LoopStatistics) -> Bool
) async -> Bool {
    await withTaskExecutorPreference(loop) {
        for attempt in 0..<10_000 {
            if condition(await loop.statistics) { return true }
            if attempt < 20 {
                await Task.yield()
            } else {
                try? await loop.sleep(for: .milliseconds(1))
            }
        }
        return condition(await loop.statistics)
    }
}

/// Runs `body` off every loop (on Swift's global pool), as a plain task would.
func offLoop<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
    try await Task.detached(operation: body).value
}

// MARK: - Loop-confined state

/// Mutable state shared by tasks pinned to one loop.
///
/// `@unchecked Sendable`: it is loop-confined. Every access runs on `loop`'s thread,
/// which the accessors check, so tasks on that loop never touch it concurrently.
final class LoopConfined<Value>: @unchecked Sendable {
    let loop: EventLoop
    private var storage: Value

    init(_ value: Value, on loop: EventLoop) {
        self.loop = loop
        self.storage = value
    }

    var value: Value {
        get {
            precondition(loop.isCurrent, "loop-confined state read off its loop")
            return storage
        }
        set {
            precondition(loop.isCurrent, "loop-confined state written off its loop")
            storage = newValue
        }
    }
}

/// A flag set on one thread and read on another.
final class Flag: Sendable {
    private let storage = Atomic<Bool>(false)
    func set() { storage.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { storage.load(ordering: .sequentiallyConsistent) }
}

/// A count incremented from any thread (connections accepted, tasks cancelled).
final class Counter: Sendable {
    private let storage = Atomic<Int>(0)

    /// Counts one more.
    func increment() { storage.add(1, ordering: .relaxed) }

    /// The count so far.
    var value: Int { storage.load(ordering: .relaxed) }
}

/// Lines appended from any thread, in order (what a demo reported, the order tasks ran).
final class Recorder: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withTSanVisibleLock { $0.append(line) } }
    var lines: [String] { storage.withTSanVisibleLock { $0 } }
}

/// Carries a loop out of a closure that throws.
final class LoopBox: Sendable {
    private let storage = Mutex<EventLoop?>(nil)
    func set(_ loop: EventLoop) { storage.withTSanVisibleLock { $0 = loop } }
    func get() -> EventLoop? { storage.withTSanVisibleLock { $0 } }
}

// MARK: - Errors

/// Expects `body` to throw a ``TorusError`` for `operation` with `reason`.
func expectTorusError<Result>(
    _ operation: TorusError.Operation, _ reason: TorusError.Reason,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Result
) async {
    await #expect(throws: TorusError(operation, reason), sourceLocation: sourceLocation) {
        _ = try await body()
    }
}

/// The ``TorusError`` `body` throws, recorded as an issue when it throws something else
/// or nothing. For errors whose reason may be one of several.
func torusError<Result>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Result
) async -> TorusError? {
    do {
        _ = try await body()
        Issue.record("expected a TorusError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as TorusError {
        return error
    } catch {
        Issue.record("expected a TorusError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

// MARK: - Addresses and connections

extension SocketAddress {
    static let loopbackV4 = SocketAddress(ip: "127.0.0.1", port: 0)!
    static let loopbackV6 = SocketAddress(ip: "::1", port: 0)!
}

/// Whether `::1` can be bound (IPv6 may be disabled in a container).
let ipv6LoopbackAvailable: Bool = {
    let socket = RawSocket(family: AF_INET6)
    defer { socket?.close() }
    guard let socket else { return false }
    return SocketAddress.loopbackV6.withSockAddr { Glibc.bind(socket.fd, $0, $1) } == 0
}()

/// Two ends of one TCP connection, both owned by the current loop.
struct ConnectedPair: Sendable {
    var client: TCPConnection
    var server: TCPConnection

    /// Connects through a temporary listener on `address`; call on the loop.
    static func make(_ address: SocketAddress = .loopbackV4) async throws -> ConnectedPair {
        let listener = try TCPListener.bind(to: address)
        do {
            let client = try await TCPConnection.connect(to: listener.localAddress)
            let server = try #require(try await listener.accept())
            try await listener.close()
            return ConnectedPair(client: client, server: server)
        } catch {
            try? await listener.close()
            throw error
        }
    }

    func close() async throws {
        try await client.close()
        try await server.close()
    }
}

extension TCPConnection {
    /// Reads exactly `count` bytes (fewer only at end of stream), in at most `count` reads.
    func read(exactly count: Int, timeout: Duration? = .seconds(30)) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count {
            let chunk = try await read(upTo: count - bytes.count, timeout: timeout)
            if chunk.isEmpty { break }
            bytes += chunk
        }
        return bytes
    }

    /// The socket's integer option `name` at `level`, read with getsockopt.
    func intOption(_ level: Int32, _ name: Int32) throws -> Int32 {
        let fd = try descriptor.usableFD(for: .socketOption)
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, level, name, &value, &length) == 0 else {
            throw TorusError(.socketOption, .system(.last))
        }
        return value
    }
}

// MARK: - A plain blocking socket

/// A system call a test helper made failed (not a Torus error: the library was not involved).
struct SystemCallError: Error, CustomStringConvertible {
    var call: String
    var errno: Errno

    init(_ call: String, errno: Errno = .last) {
        self.call = call
        self.errno = errno
    }

    var description: String { "\(call) failed: \(errno)" }
}

/// A blocking Glibc TCP socket, for peers the library must not control. Its calls block
/// the calling thread, so use it off the loop (``offLoop(_:)``) except for calls that
/// cannot block on loopback (socket, bind, connect to a listening port, close).
/// Receives time out after 10 seconds so a test cannot hang on it.
struct RawSocket: Sendable {
    let fd: Int32

    init?(family: Int32 = AF_INET) {
        let fd = Glibc.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
    }

    /// Binds to `address` (port 0: the kernel picks) without listening; returns the
    /// bound address. Connecting to it is refused while the socket stays open.
    func bind(_ address: SocketAddress) throws -> SocketAddress {
        guard address.withSockAddr({ Glibc.bind(fd, $0, $1) }) == 0 else {
            throw SystemCallError("bind")
        }
        return try SocketAddress.query(fd, getsockname)
    }

    func connect(_ address: SocketAddress) throws {
        guard address.withSockAddr({ Glibc.connect(fd, $0, $1) }) == 0 else {
            throw SystemCallError("connect")
        }
    }

    /// Reads until `count` bytes or end of stream.
    func read(exactly count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let received = bytes[offset...].withUnsafeMutableBytes {
                Glibc.recv(fd, $0.baseAddress, $0.count, 0)
            }
            guard received >= 0 else { throw SystemCallError("recv") }
            if received == 0 { break }
            offset += received
        }
        return Array(bytes.prefix(offset))
    }

    func close() { _ = Glibc.close(fd) }
}

// MARK: - Open-file limit

/// The soft and hard RLIMIT_NOFILE (``ResourceLimits/openFiles()``).
func openFileLimit() -> (soft: rlim_t, hard: rlim_t) { ResourceLimits.openFiles() }

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit
/// (``ResourceLimits/raiseOpenFiles()``).
@discardableResult
func raiseOpenFileLimit() -> rlim_t { ResourceLimits.raiseOpenFiles() }

/// Runs `body` with the soft RLIMIT_NOFILE set to `soft`, restoring the previous soft
/// limit afterwards, whether `body` returns or throws. Hold the descriptor gate
/// exclusively around it: the limit is process-wide.
func withOpenFileSoftLimit<Result>(_ soft: rlim_t, _ body: () async throws -> Result) async throws -> Result {
    var saved = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved)
    var lowered = saved
    lowered.rlim_cur = soft
    guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lowered) == 0 else { throw SystemCallError("setrlimit") }
    defer { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved) }
    return try await body()
}

/// The lowest descriptor number not in use (what the kernel would hand out next).
func lowestFreeDescriptor() -> Int32 {
    let fd = dup(0)
    if fd >= 0 { Glibc.close(fd) }
    return fd
}

// MARK: - Pseudo-random bytes

/// `count` pseudo-random bytes from `seed`.
func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SplitMix64(seed: seed)
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        generator.fill(UnsafeMutableRawBufferPointer(buffer))
        initialized = count
    }
}

/// Whether two byte buffers are equal (memcmp: fast in debug builds too).
func bytesEqual(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Bool {
    guard left.count == right.count else { return false }
    if left.isEmpty { return true }
    return memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
}

func bytesEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
    left.withUnsafeBytes { left in right.withUnsafeBytes { right in bytesEqual(left, right) } }
}

// MARK: - Temporary directories and the echo peer

/// A directory under /tmp (or `parent`), removed with everything in it when the test ends.
struct TemporaryDirectory: Sendable {
    let path: FilePath

    init(under parent: String = "/tmp") throws {
        path = FilePath(try Directory.makeTemporary("\(parent)/torus-tests-XXXXXX"))
    }

    func file(_ name: String) -> FilePath { path.appending(name) }

    func remove() {
        if let directory = opendir(path.string) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { unlink(file(name).string) }
            }
            closedir(directory)
        }
        rmdir(path.string)
    }
}

/// Runs `body` with a fresh temporary directory, removing it afterwards.
func withTemporaryDirectory<Result>(_ body: (TemporaryDirectory) async throws -> Result) async throws -> Result {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try await body(directory)
}

extension EchoHandler {
    /// The tests' echo peer: a send that fails is recorded as an issue.
    convenience init() {
        self.init { Issue.record("echo failed: \($0)") }
    }
}
