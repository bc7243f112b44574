/// An invariant a parser broke on one input: the fuzzers trap on it, the replay tests
/// report it.
public struct InvariantViolation: Error, CustomStringConvertible {
    /// What was expected, and what came out instead.
    public let description: String
}

/// Throws an ``InvariantViolation`` saying `message` unless `condition` holds.
func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    guard condition else { throw InvariantViolation(description: message()) }
}

extension ArraySlice<UInt8> {
    /// Where to cut these bytes in two, to check that a parser fed them in two reads
    /// agrees with one read: chosen by the last byte, so the fuzzer steers it.
    var splitPoint: Index {
        startIndex + Int(last ?? 0) % (count + 1)
    }
}
