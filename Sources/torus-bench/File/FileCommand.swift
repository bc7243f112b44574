import TorusTestSupport
import ArgumentParser
import TorusCommandLine
import Foundation

/// `torus-bench file`: random 4 KiB reads of one file, buffered and O_DIRECT, at several
/// queue depths: Torus io_uring, Torus epoll (its blocking pool) and SwiftNIO
/// (`NonBlockingFileIO`), each in a child process of its own, with fio as the limit.
struct FileCommand: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "file",
        abstract: "Random 4 KiB file reads: IOPS and CPU per read, Torus vs SwiftNIO vs fio."
    )

    @Option(help: "Directory of the test file (created once, reused while its size is right).")
    var directory = "/var/tmp"

    @Option(help: "Size of the test file: bytes, or with K, M or G (binary); a multiple of 4 KiB, at most 1 TiB.")
    var fileSize = ByteSize(argument: "1G")!

    @Option(
        name: .customLong("depth"),
        help: "Reads in flight, 1...4096 (repeat the option for several; default: 1, 32 and 128).")
    var depths: [Int] = [1, 32, 128]

    @Option(help: "Buffered reads (off), O_DIRECT (on) or both.")
    var direct: DirectIO = .both

    @Option(parsing: .unconditional, help: "Measured seconds per run (more than 0, at most 86400).")
    var duration = 3.0

    @OptionGroup var interleaved: InterleavedRuns

    @Flag(inversion: .prefixedNo, help: "Run fio too, when it is installed.")
    var fio = true

    @OptionGroup var report: ReportOptions

    func validate() throws {
        try OptionCheck.integer(fileSize.bytes, "--file-size", in: RandomReads.blockSize...(1 << 40))
        guard fileSize.bytes % RandomReads.blockSize == 0 else {
            throw ValidationError("--file-size must be a multiple of 4 KiB, got \(fileSize.bytes) bytes")
        }
        try OptionCheck.integers(depths, "--depth", in: 1...4096)
        try OptionCheck.seconds(duration, "--duration")
        guard Directory.isWritable(directory) else {
            throw ValidationError("--directory \(directory): not a writable directory")
        }
    }

    func run() async throws {
        _ = try await measure(reporting: report.write)
    }

    func measure(reporting report: (BenchReport<FileRecord>) throws -> Void) async throws -> BenchReport<FileRecord> {
        let (path, created) = try TestFile.prepare(in: directory, size: fileSize.bytes)
        print("\(created ? "created" : "reusing") \(path) (\(fileSize))")
        var modes = direct.modes
        if modes.contains(true), !TestFile.acceptsDirectIO(path) {
            print(
                "O_DIRECT: the filesystem of \(directory) refuses it (EINVAL, e.g. tmpfs): skipping the O_DIRECT rows")
            modes.removeAll { $0 }
        }
        let fio = fio ? Fio.executable : nil
        if self.fio, fio == nil { print("fio is not installed: no fio rows") }
        if modes.contains(false) { try TestFile.warmPageCache(path) }
        var records = BenchReport<FileRecord>()
        for direct in modes {
            for depth in depths {
                let contenders = Contender.runtimes.map(\.rawValue) + (fio == nil ? [] : ["fio"])
                let runs = try await interleaved.measure(contenders) {
                    try measure($0, fio: fio, path: path, depth: depth, direct: direct)
                } describe: { contender, record in
                    String(
                        format: "%@ depth %d direct %@: %.0f IOPS, %.2f us CPU/read", contender, depth, record.direct,
                        record.iops, record.cpuMicrosPerRead)
                }
                for contenderRuns in runs { records.add(contenderRuns, medianBy: \.iops) }
                try report(records)
                print()
                print(
                    "file: random 4 KiB reads of \(fileSize), depth \(depth), "
                        + (direct
                            ? "O_DIRECT (the device)"
                            : "buffered (the page cache: the file fits in RAM and was read once before)")
                        + ", \(duration) s x \(interleaved.repeats) (median by IOPS)")
                FileRecord.printTable(Array(records.medians.suffix(contenders.count)))
                print()
            }
        }
        return records
    }

    /// One run of `contender`: a `serve file-reader` child, or fio.
    private func measure(_ contender: String, fio: String?, path: String, depth: Int, direct: Bool) throws
        -> FileRecord
    {
        let directField = direct ? "on" : "off"
        guard let engine = Contender(rawValue: contender) else {
            let (iops, cpu) = try Fio.run(fio!, path: path, depth: depth, direct: direct, duration: duration)
            return FileRecord(
                contender: contender, depth: depth, direct: directField, iops: iops, cpuMicrosPerRead: cpu)
        }
        let child = try ScenarioChild([
            "serve", "file-reader", "--engine", engine.rawValue, "--path", path, "--depth", String(depth), "--direct",
            directField, "--duration", String(duration),
        ])
        let reads = try child.number("reads")
        return FileRecord(
            contender: contender, depth: depth, direct: directField, iops: try child.number("iops"),
            cpuMicrosPerRead: Double(child.cpuNanoseconds) / 1000 / max(reads, 1),
            poolThreads: engine == .torusIOUring ? nil : Int(try child.number("pool_threads")))
    }
}
