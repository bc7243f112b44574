import ArgumentParser

/// `--direct`: buffered reads (through the page cache), O_DIRECT (the device), or both.
enum DirectIO: String, ExpressibleByArgument, CaseIterable {
    case on
    case off
    case both

    /// The modes to measure, buffered first: whether each opens with O_DIRECT.
    var modes: [Bool] {
        switch self {
        case .on: [true]
        case .off: [false]
        case .both: [false, true]
        }
    }
}
