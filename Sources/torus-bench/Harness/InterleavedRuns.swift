import ArgumentParser
import TorusCommandLine

/// `--repeats` and the interleaved order the scenarios measure in (A B C A B C ...), so
/// a drift of the machine over a session spreads over every contender alike.
struct InterleavedRuns: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: "Runs per contender (1...1000), interleaved (A B A B ...); the median is reported.")
    var repeats = 1

    func validate() throws {
        try OptionCheck.integer(repeats, "--repeats", in: 1...1000)
    }

    /// Measures every contender `repeats` times, interleaved, printing `round N` and
    /// `describe`'s line after each run (and naming the contender on the suite's
    /// ``ProgressLine`` meanwhile); returns each contender's runs, in the order of
    /// `contenders`.
    func measure<Contender, Record>(
        _ contenders: [Contender], _ measure: (Contender) async throws -> Record,
        describe: (Contender, Record) -> String
    ) async rethrows -> [[Record]] {
        var runs = [[Record]](repeating: [], count: contenders.count)
        for round in 1...repeats {
            for (index, contender) in contenders.enumerated() {
                ProgressLine.running((contender as? any RawRepresentable<String>)?.rawValue ?? "\(contender)")
                let record = try await measure(contender)
                print("round \(round) \(describe(contender, record))")
                runs[index].append(record)
            }
        }
        return runs
    }
}
