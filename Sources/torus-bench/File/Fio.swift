import TorusTestSupport
import Foundation

/// fio (`--ioengine=io_uring --rw=randread --bs=4k`): the practical limit of random
/// reads on this machine, when it is installed. Its own CPU figures (usr_cpu, sys_cpu:
/// percent of one CPU over the job's runtime) give the CPU per read.
enum Fio {
    /// fio's path on `PATH`, nil when it is not installed.
    static var executable: String? { ChildProcess.installed("fio") }

    /// Reads `path` at random for `duration` seconds with `depth` reads in flight.
    static func run(_ executable: String, path: String, depth: Int, direct: Bool, duration: Double) throws
        -> (iops: Double, cpuMicrosPerRead: Double)
    {
        let child = try ChildProcess(
            path: executable,
            arguments: [
                "--name=torus-bench", "--filename=\(path)", "--ioengine=io_uring", "--rw=randread", "--bs=4k",
                "--iodepth=\(depth)", "--direct=\(direct ? 1 : 0)", "--invalidate=0", "--time_based",
                "--runtime=\(max(1, Int((duration * 1000).rounded())))ms", "--output-format=json",
            ])
        var lines: [String] = []
        while let line = child.readLine() { lines.append(line) }
        let status = child.exitStatus()
        guard status == 0 else { throw BenchError.serverFailed("fio", status) }
        // fio may print notes before the JSON document.
        let text = lines.drop { !$0.hasPrefix("{") }.joined(separator: "\n")
        guard let document = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let job = (document["jobs"] as? [[String: Any]])?.first, let read = job["read"] as? [String: Any],
            let iops = read["iops"] as? Double, let reads = read["total_ios"] as? Double, reads > 0,
            let runtime = read["runtime"] as? Double, let user = job["usr_cpu"] as? Double,
            let system = job["sys_cpu"] as? Double
        else { throw BenchError.unexpectedOutput("fio", String(text.prefix(200))) }
        return (iops, (user + system) / 100 * runtime * 1000 / reads)
    }
}
