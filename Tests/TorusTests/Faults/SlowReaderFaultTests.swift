import Glibc
import Synchronization
import Testing

@testable import Torus

/// A client that reads slowly (a 100 ms stall first, then a 2 ms pause after every
/// 256 KiB: under 128 MiB/s) while the server sends it 100 MiB: every byte arrives in order, and what the loop
/// holds for the connection stays bounded all along, on both reactors.
///
/// The task API's bound is the writer itself: `write` returns only once the kernel took
/// the bytes, so the loop holds none of them. The handler API's bound is the send queue's
/// high watermark: the echo stops receiving once its queue passes it, so the client's
/// 100 MiB wait in the kernel, not in the server's buffers.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct SlowReaderFaultTests {
    static let stream = StampedStream(blocks: 100, seed: 20)

    /// Task API: a server task writes 100 MiB, 1 MiB per `write`.
    @Test(arguments: TestBackend.allCases)
    func aTaskWritingToASlowReaderHoldsNoBuffers(_ backend: TestBackend) async throws {
        let stream = Self.stream
        try await withTestLoop(backend) { loop in
            let bystander = try await Bystander.make()
            let before = await loop.statistics
            let pair = try await ConnectedPair.make()
            let writer = Task(executorPreference: loop) {
                try await stream.forEachBlock { try await pair.server.write($0, timeout: .seconds(10)) }
                try pair.server.shutdown(.write)
            }
            let peak = try await Self.readSlowly(pair.client, loop: loop) {
                try await bystander.expectEcho(seed: 21)
            }
            try await writer.value
            #expect(peak.buffersLent == 0, "a task's write is sent from its own buffer")
            #expect(peak.slotsInUse <= before.operationSlotsInUse + 1, "the one write in flight")
            #expect(await loop.statistics.receiveBufferShortages == before.receiveBufferShortages)
            try await pair.close()
            try await bystander.close()
        }
    }

    /// Handler API: the client sends 100 MiB to a served echo and reads the echo slowly.
    /// The echo's queue passes the high watermark (256 KiB, 16 pooled buffers) and the
    /// connection stops receiving; what it holds stays near the watermark, far from the
    /// 6,400 buffers of the whole stream.
    @Test(arguments: TestBackend.allCases)
    func aServedEchoToASlowReaderIsHeldAtTheWatermark(_ backend: TestBackend) async throws {
        let stream = Self.stream
        try await withTestLoop(backend) { loop in
            let bystander = try await Bystander.make()
            let before = await loop.statistics
            let pair = try await makeNarrowPair(serverAccepts: true)
            let handler = WritabilityEcho()
            try pair.server.serve(with: handler)
            let writer = Task(executorPreference: loop) {
                try await stream.forEachBlock { try await pair.client.write($0, timeout: .seconds(10)) }
                try pair.client.shutdown(.write)
            }
            let peak = try await Self.readSlowly(pair.client, loop: loop) {
                try await bystander.expectEcho(seed: 22)
            }
            try await writer.value
            let watermarkBuffers = loop.configuration.sendQueueHighWatermark / loop.configuration.receiveBufferSize
            // The queue's 16 buffers (more when received bytes fill them partly), plus on
            // io_uring what the multishot receive completed before the pause's cancel
            // landed (here up to about 100 buffers): a quarter of the pool at most, not
            // the 6,400 buffers of the stream, and never a spare buffer.
            #expect(peak.buffersLent >= watermarkBuffers, "the slow reader never filled the queue: \(peak)")
            #expect(
                peak.buffersLent <= loop.configuration.receiveBufferCount / 4,
                "the queue outgrew its watermark: \(peak)")
            #expect(handler.pauses.load(ordering: .relaxed) > 0, "isWritable never turned false")
            #expect(handler.failures.load(ordering: .relaxed) == 0)
            #expect(await loop.statistics.receiveBufferShortages == before.receiveBufferShortages)
            try await pair.client.close()
            await expectBack(to: before, on: loop)
            try await bystander.close()
        }
    }

    /// The most the loop held while the client read.
    struct Peak: Sendable, CustomStringConvertible {
        var buffersLent = 0
        var slotsInUse = 0
        var description: String { "peak \(buffersLent) buffers lent, \(slotsInUse) slots" }
    }

    /// Reads `stream` from `connection` slowly, checking each byte at its offset, then
    /// expects end of stream. After each read it samples the loop's statistics; every
    /// 256 KiB it pauses, and every 20 MiB it runs `meanwhile` (the bystander's exchange).
    private static func readSlowly(
        _ connection: TCPConnection, loop: EventLoop, meanwhile: () async throws -> Void
    ) async throws -> Peak {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 1)
        defer { buffer.deallocate() }
        var peak = Peak()
        var offset = 0
        var nextExchange = 0
        var nextPause = 0
        try await loop.sleep(for: .milliseconds(100))  // the sender runs ahead
        while offset < stream.count {
            let count = try await connection.read(into: buffer, timeout: .seconds(10))
            guard count > 0 else { break }
            guard stream.matches(UnsafeRawBufferPointer(rebasing: buffer[..<count]), at: offset) else {
                Issue.record("the bytes at \(offset)..<\(offset + count) differ from the stream's")
                return peak
            }
            offset += count
            let statistics = await loop.statistics
            peak.buffersLent = max(peak.buffersLent, statistics.receiveBuffersLent)
            peak.slotsInUse = max(peak.slotsInUse, statistics.operationSlotsInUse)
            if offset >= nextExchange {
                try await meanwhile()
                nextExchange += 20 << 20
            }
            if offset >= nextPause {
                try await loop.sleep(for: .milliseconds(2))
                nextPause += 256 << 10
            }
        }
        #expect(offset == stream.count, "the stream ended early")
        #expect(try await connection.read(into: buffer, timeout: .seconds(10)) == 0, "bytes after the stream")
        return peak
    }
}

/// Echoes, and counts the times a send left the connection unwritable (past the high
/// watermark) and the sends that failed.
private final class WritabilityEcho: ConnectionHandler, Sendable {
    let pauses = Atomic(0)
    let failures = Atomic(0)

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        let wasWritable = connection.isWritable
        do {
            try connection.send(bytes)
        } catch {
            failures.add(1, ordering: .relaxed)
        }
        if wasWritable && !connection.isWritable { pauses.add(1, ordering: .relaxed) }
    }
}
