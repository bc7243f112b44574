/// SplitMix64: a tiny, seeded, allocation-free random number generator. The same seed
/// always gives the same numbers: the benchmarks' offsets, sleep durations and file
/// contents (the system generator may make a system call per number, which would be
/// measured), and the tests' pseudo-random bytes.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// Where the sequence is: advanced by every number drawn.
    public var state: UInt64

    /// Starts the sequence at `seed`.
    @inlinable
    public init(seed: UInt64) { state = seed }

    /// The next number of the sequence.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Fills `buffer` with the next bytes of the stream, eight at a time.
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset + 8 <= buffer.count {
            buffer.storeBytes(of: next(), toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        if offset < buffer.count {
            var last = next()
            withUnsafeBytes(of: &last) { word in
                for index in offset..<buffer.count { buffer[index] = word[index - offset] }
            }
        }
    }
}
