import ArgumentParser
import TorusCommandLine

/// A command-line value (arbitrary text) parsed as ArgumentParser parses an option, then
/// checked by ``TorusCommandLine/OptionCheck``: an accepted duration is finite, in range
/// and converts to a `Duration` and to milliseconds without trapping; an accepted count
/// is in its range; a refused value gets a message naming the option.
enum CommandLineValueInvariants {
    static func check(_ input: [UInt8]) throws {
        let text = String(decoding: input, as: UTF8.self)
        if let seconds = Double(argument: text) {
            for zeroAllowed in [false, true] { try checkSeconds(seconds, zeroAllowed: zeroAllowed) }
        }
        if let count = Int(argument: text) {
            let range = 1...10_000
            do {
                try OptionCheck.integer(count, "--max-tasks", in: range)
                try expect(range.contains(count), "--max-tasks \(count) accepted")
            } catch let error as ValidationError {
                try expect(error.message.contains("--max-tasks"), "message without the option: \(error.message)")
            }
        }
    }

    static func checkSeconds(_ seconds: Double, zeroAllowed: Bool) throws {
        do {
            try OptionCheck.seconds(seconds, "--duration", zeroAllowed: zeroAllowed)
        } catch let error as ValidationError {
            try expect(error.message.contains("--duration"), "message without the option: \(error.message)")
            return
        }
        try expect(
            seconds.isFinite && seconds <= OptionCheck.maximumSeconds && (zeroAllowed ? seconds >= 0 : seconds > 0),
            "--duration \(seconds) accepted")
        // The conversions the programs make of an accepted value: whole milliseconds
        // (rounded up, so never 0 for a positive value) at most a millisecond from it.
        let duration = Duration.seconds(seconds)
        try expect(duration >= .zero && duration <= .seconds(OptionCheck.maximumSeconds), "\(seconds) s is \(duration)")
        let milliseconds = Duration.milliseconds(Int((seconds * 1000).rounded(.up)))
        try expect(
            (milliseconds > .zero || seconds == 0)
                && max(milliseconds - duration, duration - milliseconds) <= .milliseconds(1),
            "\(seconds) s rounded up is \(milliseconds)")
    }
}
