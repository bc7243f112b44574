import ArgumentParser
import TorusCommandLine
import Foundation

/// `torus-bench serve file-reader`: one contender of `torus-bench file` as a process of
/// its own, so the parent measures its CPU and memory alone. Prints `ready` once the file
/// is open, then `result iops=I reads=R pool_threads=P`, and exits on SIGTERM.
struct ServeFileReaderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file-reader",
        abstract: "Random 4 KiB reads of a file for a while; prints `ready`, then one `result` line."
    )

    @OptionGroup var runtime: EngineOption

    @Option(help: "The file to read (at least 4 KiB).")
    var path: String

    @Option(help: "Reads in flight (1...4096).")
    var depth = 1

    @Option(help: "Open with O_DIRECT: on or off.")
    var direct: DirectIO = .off

    @Option(help: "Seconds of reading (more than 0, at most 86400).")
    var duration = 2.0

    @Option(help: "Blocking-pool threads (torus-epoll, swift-nio), 1...1024; default: --depth, at most 64.")
    var poolThreads: Int?

    func validate() throws {
        try OptionCheck.integer(depth, "--depth", in: 1...4096)
        guard direct != .both else { throw ValidationError("--direct must be on or off") }
        try OptionCheck.seconds(duration, "--duration")
        if let poolThreads { try OptionCheck.integer(poolThreads, "--pool-threads", in: 1...1024) }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ValidationError("--path \(path): not readable")
        }
    }

    func run() async throws {
        let job = try RandomReads(path: path, depth: depth, direct: direct == .on, duration: .seconds(duration))
        let pool = poolThreads ?? Self.poolThreads(depth: depth)
        if let backend = runtime.engine.backend {
            try await TorusFileReader.run(job, backend: backend, poolThreads: pool)
        } else {
            try await NIOFileReader.run(job, poolThreads: pool)
        }
    }

    /// The pool size the benchmark gives a selector contender: a thread per read in
    /// flight, capped so depth 128 does not start 128 threads.
    static func poolThreads(depth: Int) -> Int { min(depth, 64) }
}
