import Glibc

/// A long byte stream that can be checked at any offset without keeping it: `blocks`
/// copies of one random 1 MiB block, each stamped with its index in its first 8 bytes
/// (little-endian). A lost, repeated or reordered byte shows at its offset.
struct StampedStream: Sendable {
    static let blockSize = 1 << 20

    let blocks: Int
    private let block: [UInt8]

    init(blocks: Int, seed: UInt64) {
        self.blocks = blocks
        block = randomBytes(Self.blockSize, seed: seed)
    }

    /// Bytes in the whole stream.
    var count: Int { blocks * Self.blockSize }

    /// Calls `body` with each block in order, as the sender sends them (one buffer,
    /// restamped each time).
    func forEachBlock(_ body: ([UInt8]) async throws -> Void) async rethrows {
        var buffer = block
        for index in 0..<blocks {
            withUnsafeBytes(of: UInt64(index).littleEndian) { stamp in
                buffer.withUnsafeMutableBytes { $0.copyMemory(from: stamp) }
            }
            try await body(buffer)
        }
    }

    /// Whether `bytes` are the stream's bytes starting at `offset`.
    func matches(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var position = 0
        while position < bytes.count {
            let index = (offset + position) / Self.blockSize
            let within = (offset + position) % Self.blockSize
            let length = min(bytes.count - position, Self.blockSize - within)
            let piece = UnsafeRawBufferPointer(rebasing: bytes[position..<position + length])
            // The stamp's bytes in this piece, then the block's.
            let stampEnd = max(within, min(8, within + length))
            let stamped = withUnsafeBytes(of: UInt64(index).littleEndian) { stamp in
                (within..<stampEnd).allSatisfy { piece[$0 - within] == stamp[$0] }
            }
            let rest = stampEnd - within
            let same = block.withUnsafeBytes { block in
                rest >= length
                    || memcmp(piece.baseAddress! + rest, block.baseAddress! + within + rest, length - rest) == 0
            }
            guard stamped && same, index < blocks else { return false }
            position += length
        }
        return true
    }
}
