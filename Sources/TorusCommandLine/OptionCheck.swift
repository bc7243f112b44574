import ArgumentParser

/// The checks the command-line options of torus-crawl and torus-bench make in
/// `validate()`: a value out of range throws a `ValidationError` that names the option,
/// the range and the value, so the user gets exit code 64 and a clear message instead of
/// a trap further on (a `Duration` of `nan`, `inf` or `1e300` seconds, a negative count).
///
/// Durations are finite seconds of at most ``maximumSeconds`` (a day): far more than any
/// run or request needs, and small enough to convert to `Duration` or to nanoseconds in
/// an `Int64` without overflow.
public enum OptionCheck {
    /// The longest duration any option accepts: one day, in seconds.
    public static let maximumSeconds: Double = 86_400

    /// Checks that `value`, the seconds `option` gave, is finite, at most
    /// ``maximumSeconds`` and more than 0 (at least 0 when `zeroAllowed`).
    public static func seconds(_ value: Double, _ option: String, zeroAllowed: Bool = false) throws {
        let inRange = zeroAllowed ? value >= 0 : value > 0
        guard value.isFinite, inRange, value <= maximumSeconds else {
            let range =
                zeroAllowed
                ? "in 0...\(Int(maximumSeconds))" : "more than 0 and at most \(Int(maximumSeconds))"
            throw ValidationError("\(option) must be a finite number of seconds, \(range), got \(value)")
        }
    }

    /// Checks that the integer `value` of `option` is in `range`.
    public static func integer(_ value: Int, _ option: String, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
    }

    /// Checks that `values`, the integers a repeatable `option` gave, are not empty and
    /// each in `range`.
    public static func integers(_ values: [Int], _ option: String, in range: ClosedRange<Int>) throws {
        guard !values.isEmpty else { throw ValidationError("\(option) needs at least one value") }
        for value in values { try integer(value, option, in: range) }
    }
}
