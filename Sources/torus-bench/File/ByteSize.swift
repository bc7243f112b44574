import ArgumentParser

/// A size on the command line: bytes, or with a K, M or G suffix (binary: 16M is 16 MiB).
struct ByteSize: ExpressibleByArgument, CustomStringConvertible {
    var bytes: Int

    init?(argument: String) {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        let upper = argument.uppercased()
        let unit = upper.last.flatMap { units[$0] }
        guard let number = Int(unit == nil ? upper : String(upper.dropLast())), number > 0 else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: unit ?? 1)
        guard !overflow else { return nil }
        bytes = product
    }

    var description: String {
        bytes % (1 << 30) == 0
            ? "\(bytes >> 30) GiB" : bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}
