import Foundation
import Testing

@testable import Torus

/// `torus-bench` end to end: the SwiftNIO reference server (`serve echo --server nio`),
/// a tiny `echo` session written to CSV, and `nop` beside its C reference.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct BenchServeTests {
    /// Every echo server under test: SwiftNIO, and Torus on each reactor serving
    /// connections with a handler (the default) or a task each.
    @Test(arguments: [
        ["--server", "nio"], ["--backend", "io_uring"], ["--backend", "epoll"],
        ["--backend", "io_uring", "--connection-api", "task"], ["--backend", "epoll", "--connection-api", "task"],
    ])
    func echoServerEchoesAndStopsCleanly(_ options: [String]) async throws {
        // The child's pipes are opened and closed inside the gate, never while the
        // open-file limit test counts descriptors.
        try await withDescriptorGate {
            let server = try ServerProcess(["torus-bench", "serve", "echo", "--port", "0"] + options)
            let port = try await server.waitForPort()
            let bytes = randomBytes(65_536, seed: 11)
            let loop = try TestBackend.ioUring.makeLoop()
            let echoed = try await loop.run { try await echoThroughServer(bytes, port: port) }
            await loop.shutdown()
            #expect(echoed == bytes)
            let (status, errors) = await server.stop()
            #expect(status == 0)
            #expect(errors.contains(options.contains("nio") ? "serve echo: swift-nio" : "serve echo: \(options[1])"))
        }
    }

    /// TorusHTTP's `HTTPServer` on each reactor, on one loop and on two, and SwiftNIO:
    /// the same answer, byte for byte (but Torus's Date field).
    @Test(arguments: [
        ["--backend", "io_uring"], ["--backend", "epoll"], ["--server", "nio"],
        ["--backend", "io_uring", "--loops", "2"],
    ])
    func httpServerAnswersTwiceOnOneConnectionAndStopsCleanly(_ options: [String]) async throws {
        try await withDescriptorGate {
            let server = try ServerProcess(["torus-bench", "serve", "http", "--port", "0"] + options)
            let port = try await server.waitForPort()
            let request = Array("GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
            let loop = try TestBackend.ioUring.makeLoop()
            let responses: [String] = try await loop.run {
                let client = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!)
                var responses: [String] = []
                for _ in 0..<2 {
                    try await client.write(request)
                    var received: [UInt8] = []
                    while !String(decoding: received, as: UTF8.self).hasSuffix("Hello, World!") {
                        let chunk = try await client.read(upTo: 65_536, timeout: .seconds(10))
                        if chunk.isEmpty { break }
                        received += chunk
                    }
                    responses.append(String(decoding: received, as: UTF8.self).lowercased())
                }
                try await client.close()
                return responses
            }
            await loop.shutdown()
            let expected = "http/1.1 200 ok\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\r\nhello, world!"
            // TorusHTTP's server dates its responses (RFC 9110 section 6.6.1).
            let dated = !options.contains("nio")
            #expect(responses.allSatisfy { $0.contains("\r\ndate: ") == dated })
            let undated = responses.map {
                $0.replacingOccurrences(of: "date: [^\r]*\r\n", with: "", options: .regularExpression)
            }
            #expect(undated == [expected, expected])
            let (status, errors) = await server.stop()
            #expect(status == 0)
            #expect(errors.contains("serve http:"))
        }
    }

    @Test func aConnectionAPIForTheNIOServerIsAClearError() async throws {
        let (status, errors) = try await withDescriptorGate {
            try await ServerProcess([
                "torus-bench", "serve", "echo", "--server", "nio", "--connection-api", "task", "--port", "0",
            ])
            .waitForExit()
        }
        #expect(status != 0)
        #expect(errors.contains("--connection-api applies to --server torus only"))
    }

    @Test func aConnectionAPINamedTwiceIsAClearError() async throws {
        let (status, output) = try await runTorusBench(
            ["echo", "--connection-api", "task", "--connection-api", "task"], withStandardError: true)
        #expect(status != 0)
        #expect(output.contains("--connection-api names handler or task once each"))
    }

    /// Both connection APIs side by side: the task-per-connection Torus servers get rows
    /// of their own, with the C reference of their design.
    @Test func echoMeasuresBothConnectionAPIs() async throws {
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("torus-bench-apis-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let output = try await runBench([
            "echo", "--connections", "2", "--size", "64", "--duration", "0.1", "--warmup", "0", "--no-pinning",
            "--backend", "epoll", "--no-nio", "--connection-api", "handler", "--connection-api", "task", "--csv", csv,
        ])
        #expect(output.contains("| torus-epoll-task |"))
        let medians = try csvMedians(csv)
        #expect(medians.map { $0[1] } == ["torus-epoll", "torus-epoll-task", "c-epoll-echo"])
    }

    @Test func aReactorForTheNIOServerIsAClearError() async throws {
        let (status, errors) = try await withDescriptorGate {
            try await ServerProcess([
                "torus-bench", "serve", "echo", "--server", "nio", "--backend", "epoll", "--port", "0",
            ])
            .waitForExit()
        }
        #expect(status != 0)
        #expect(errors.contains("--backend applies to --server torus only"))
    }

    @Test func echoWritesEveryRunAndTheMediansToCSV() async throws {
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("torus-bench-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let output = try await runBench([
            "echo", "--connections", "2", "--size", "64", "--duration", "0.1", "--warmup", "0", "--no-pinning",
            "--csv", csv,
        ])
        #expect(output.contains("| swift-nio |"))
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasPrefix("scenario,server,connections,size,run,") == true)
        // Five servers, one run each, then their five medians.
        #expect(lines.count == 1 + 5 + 5)
        #expect(lines.filter { $0.hasPrefix("echo,swift-nio,2,64,") }.count == 2)
    }

    @Test func httpWritesEveryRunAndTheMediansToCSV() async throws {
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("torus-bench-http-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: csv) }
        // No nginx and no wrk on this PATH, whatever the machine has: the skip path.
        let output = try await runBench(
            ["http", "--connections", "2", "--duration", "0.1", "--warmup", "0", "--no-pinning", "--csv", csv],
            path: "/nonexistent")
        #expect(output.contains("nginx and wrk not installed: skipped (no nginx row, no wrk table)\n"))
        #expect(output.contains("| swift-nio |"))
        #expect(!output.contains("| nginx |"))
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        // Three servers, one run each, then their three medians; no request failed.
        #expect(lines.count == 1 + 3 + 3)
        #expect(lines.filter { $0.hasPrefix("http,torus,torus-io_uring,2,") }.count == 2)
        #expect(lines.dropFirst().allSatisfy { $0.hasSuffix(",0") })
    }

    @Test func nginxConfigurationIsOneProcessAnsweringHelloWorld() async throws {
        let output = try await runBench(["http", "--print-nginx-config", "--connections", "2000"])
        #expect(
            output == """
                daemon off;
                master_process off;
                worker_processes 1;
                pid /tmp/nginx/nginx.pid;
                error_log /tmp/nginx/error.log warn;
                events {
                    worker_connections 2064;
                }
                http {
                    access_log off;
                    keepalive_requests 1000000000;
                    client_body_temp_path /tmp/nginx/client_body;
                    proxy_temp_path /tmp/nginx/proxy;
                    fastcgi_temp_path /tmp/nginx/fastcgi;
                    uwsgi_temp_path /tmp/nginx/uwsgi;
                    scgi_temp_path /tmp/nginx/scgi;
                    server {
                        listen 127.0.0.1:8080;
                        location / {
                            default_type text/plain;
                            return 200 "Hello, World!";
                        }
                    }
                }

                """)
    }

    /// nginx as a server and wrk as a client, where both are installed (CI has neither).
    @Test(.enabled(if: installed("nginx") && installed("wrk")))
    func httpMeasuresNginxAndDrivesEveryServerWithWrk() async throws {
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("torus-bench-wrk-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let output = try await runBench([
            "http", "--backend", "io_uring", "--no-nio", "--connections", "2", "--duration", "0.1", "--warmup", "0",
            "--no-pinning", "--csv", csv,
        ])
        #expect(output.contains("| nginx |"))
        #expect(output.contains("client: wrk -t1 -c2 -d1s --latency"))
        let medians = try csvMedians(csv)
        for client in ["torus", "wrk"] {
            for server in ["torus-io_uring", "nginx"] {
                let row = medians.first { $0[1] == client && $0[2] == server && $0[3] == "2" }
                #expect((row.flatMap { Double($0[5]) } ?? 0) > 0, "\(client) -> \(server): \(String(describing: row))")
                #expect(row?.last == "0", "failures of \(client) -> \(server)")
            }
        }
    }

    @Test func nopPrintsTorusBesideCLiburing() async throws {
        let output = try await runBench(["nop", "--tasks", "1", "--tasks", "4", "--operations", "4000"])
        #expect(output.contains("c-liburing-nop ns/op"))
        #expect(output.contains("\n| 1 | "))
        #expect(output.contains("\n| 4 | "))
    }

    @Test func fileReadsAtRandomOnEveryContender() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("torus-bench-file-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("file.csv").path
        let output = try await runBench([
            "file", "--directory", directory.path, "--file-size", "16M", "--depth", "4", "--direct", "off",
            "--duration", "0.2", "--no-fio", "--csv", csv,
        ])
        #expect(output.contains("| torus-epoll | 4 |"))
        let medians = try csvMedians(csv)
        for contender in ["torus-io_uring", "torus-epoll", "swift-nio"] {
            let row = medians.first { $0[0] == "file" && $0[1] == contender && $0[2] == "4" && $0[3] == "off" }
            #expect((row.flatMap { Double($0[5]) } ?? 0) > 0, "\(contender): \(String(describing: row))")
        }
    }

    @Test func everyTimerFiresOnEveryContender() async throws {
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("torus-bench-timers-\(getpid()).csv")
            .path
        defer { try? FileManager.default.removeItem(atPath: csv) }
        _ = try await runBench(["timers", "--count", "1000", "--max-ms", "50", "--csv", csv])
        let medians = try csvMedians(csv)
        for contender in ["torus-io_uring", "torus-epoll", "swift-nio"] {
            let row = medians.first { $0[0] == "timers" && $0[1] == contender }
            #expect(row.map { $0[5] } == "1000", "\(contender): \(String(describing: row))")
            #expect((row.flatMap { Double($0[9]) } ?? 0) > 0, "peak RSS of \(contender)")
        }
    }

    @Test func everyServerGrowsPerIdleConnection() async throws {
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("torus-bench-conn-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let output = try await runBench(["connections", "--count", "200", "--csv", csv])
        #expect(output.contains("RLIMIT_NOFILE: soft limit raised from"))
        let medians = try csvMedians(csv)
        for server in ["torus-io_uring", "c-liburing-echo", "torus-epoll", "c-epoll-echo", "swift-nio"] {
            let row = medians.first { $0[0] == "connections" && $0[1] == server }
            #expect(row.map { $0[2] } == "200", "\(server): \(String(describing: row))")
            #expect((row.flatMap { Double($0[6]) } ?? 0) > 0, "bytes per connection of \(server)")
        }
    }

}

/// Whether the program `name` is installed (on PATH).
private func installed(_ name: String) -> Bool { ChildProcess.installed(name) != nil }
