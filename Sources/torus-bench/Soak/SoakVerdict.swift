/// Whether one server passed its soak: no unexpected error; its RSS and descriptors
/// after the first interval each within ``tolerancePercent`` of the first interval's
/// (flat: nothing leaks as connections come and go); once the load stopped, as many
/// sockets open as before it started (every connection let go of); and a clean exit.
struct SoakVerdict {
    /// What failed, one phrase each; empty when the server passed.
    private(set) var failures: [String] = []
    /// What passed, for the verdict line.
    private var findings: [String] = []

    /// Judges `intervals` of one server, allowing RSS and descriptors to move by
    /// `tolerancePercent` from the first interval's; `socketsBefore` and `socketsAfter`
    /// were counted before the load and once it stopped; `exit` is how
    /// stopping it went (nil: exited 0).
    init(
        _ intervals: [SoakInterval], tolerancePercent: Double, socketsBefore: Int, socketsAfter: Int,
        exit: (any Error)?
    ) {
        let errors = intervals.reduce(0) { $0 + $1.counts.unexpectedErrors }
        let resets = intervals.reduce(0) { $0 + $1.counts.resets }
        let exchanges = intervals.reduce(0) { $0 + $1.counts.exchanges }
        if errors == 0 {
            findings.append("0 unexpected errors (\(exchanges) exchanges, \(resets) resets on purpose)")
        } else {
            failures.append("\(errors) unexpected errors")
        }
        if exchanges == 0 { failures.append("no exchange completed") }
        judgeFlatness("RSS", "KiB", intervals.map(\.residentKiB), intervals, tolerancePercent)
        judgeFlatness("descriptors", "", intervals.map(\.descriptors), intervals, tolerancePercent)
        if socketsAfter <= socketsBefore {
            findings.append("\(socketsAfter) sockets open after the load, \(socketsBefore) before")
        } else {
            failures.append("\(socketsAfter) sockets open after the load against \(socketsBefore) before it")
        }
        if let exit { failures.append("stopping it: \(exit)") }
    }

    /// The verdict line of `server`.
    func line(_ server: String) -> String {
        failures.isEmpty
            ? "verdict \(server): passed: " + findings.joined(separator: "; ")
            : "verdict \(server): FAILED: " + failures.joined(separator: "; ")
    }

    /// Checks that every value of `values` after the first is within `tolerancePercent`
    /// of the first.
    private mutating func judgeFlatness(
        _ name: String, _ unit: String, _ values: [Int], _ intervals: [SoakInterval], _ tolerancePercent: Double
    ) {
        let suffix = unit.isEmpty ? "" : " " + unit
        guard let first = values.first, values.count > 1 else {
            findings.append("\(name) not judged (one interval only)")
            return
        }
        var outside: [String] = []
        for (value, interval) in zip(values, intervals).dropFirst() {
            let percent = first == 0 ? Double.infinity : Double(value - first) / Double(first) * 100
            if abs(percent) > tolerancePercent {
                outside.append("\(value)\(suffix) at \(interval.elapsed) (\(Self.signed(percent))%)")
            }
        }
        let range = "\(values.min() ?? first)-\(values.max() ?? first)\(suffix)"
        if outside.isEmpty {
            findings.append(
                "\(name) \(range), within ±\(Self.format(tolerancePercent))% of the first interval's \(first)")
        } else {
            failures.append(
                "\(name) moved more than ±\(Self.format(tolerancePercent))% from the first interval's \(first)\(suffix): "
                    + outside.joined(separator: ", "))
        }
    }

    /// `percent` with its sign and one decimal.
    private static func signed(_ percent: Double) -> String {
        (percent >= 0 ? "+" : "") + format(percent)
    }

    /// `value` with at most one decimal.
    private static func format(_ value: Double) -> String {
        value.isFinite ? String((value * 10).rounded() / 10) : "\(value)"
    }
}
