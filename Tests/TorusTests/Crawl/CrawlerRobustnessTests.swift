import Foundation
import HTTPTypes
import Testing
import Torus
import TorusCrawl
import TorusHTTP

/// Bad servers in the middle of a crawl, and a large generated site.
@Suite(.descriptorGate) struct CrawlerRobustnessTests {
    /// Each bad URL (on a raw server linked from the root) is recorded as an error, the
    /// good ones are crawled, and nothing waits past the timeout.
    @Test(arguments: TestBackend.allCases)
    func badServersAreRecordedAndTheCrawlGoesOn(_ backend: TestBackend) async throws {
        let (lines, elapsed) = try await withTestLoop(backend) { loop in
            // Timed from here: waiting for the descriptor gate (a test holding it alone
            // can take tens of seconds) is not the crawl's time.
            let started = ContinuousClock.now
            let lines = try await withRawServer({ connection, path in
                let canned: [String: String] = [
                    "/status": "HTTP/1.1 2x0 OK\r\n\r\n",
                    "/header": "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
                    "/chunk": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                    "/truncated": "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
                    "/huge": "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000000\r\n\r\n",
                ]
                guard let bytes = canned[path] else { return try await loop.sleep(for: .seconds(30)) }
                try await connection.write(Array(bytes.utf8))
                if path == "/huge" {
                    let block = [UInt8](repeating: 0x61, count: 65536)
                    for _ in 0..<16_000 { try await connection.write(block, timeout: .seconds(5)) }
                }
            }) { raw in
                let paths = ["/status", "/header", "/chunk", "/truncated", "/huge", "/silent"]
                let root = paths.map { "<a href='\(raw)\($0)'>" }.joined() + "<a href='/good'>"
                let crawled = try await crawlTestServer(
                    configure: { configuration, _ in
                        configuration.maxTries = 2
                        configuration.client.timeout = .seconds(1).scaled  // margin for a loaded TSan run
                        configuration.client.maxBodySize = 1 << 20
                    }, pages(["/": root, "/good": ""]))
                return crawled.lines.map { $0.replacingOccurrences(of: raw, with: "RAW") }.sorted()
            }
            return (lines, ContinuousClock.now - started)
        }
        #expect(lines.first?.hasPrefix("/ 200 text/html utf-8 ") == true && lines.first?.hasSuffix(" 7/7") == true)
        #expect(
            lines.dropFirst() == [
                "/good 200 text/html utf-8 0 0/0",
                "RAW/chunk error malformed response: invalid character in chunk size header",
                "RAW/header error malformed response: invalid character in header",
                "RAW/huge error body larger than 1048576 bytes",
                "RAW/silent error request timed out",
                "RAW/status error malformed response: invalid HTTP status code",
                "RAW/truncated error malformed response: stream ended at an unexpected time",
            ])
        #expect(elapsed < .seconds(10).scaled)
    }

    /// 5,000 linked pages, 100 workers: every page found exactly once.
    @Test(arguments: TestBackend.allCases)
    func generatedSiteIsCrawledCompletely(_ backend: TestBackend) async throws {
        let site = GeneratedSite(pages: 5000)
        let result = try await withTestLoop(backend) { _ in
            try await crawlTestServer(
                roots: [site.rootPath], configure: { configuration, _ in configuration.maxTasks = 100 }
            ) { path in site.response(for: path) }.result
        }
        let paths = result.statistics.map { URL(string: $0.url)!.path }
        #expect(paths.count == 5000)
        #expect(Set(paths) == Set((0..<5000).map { "/page/\($0)" }))
        #expect(result.statistics.allSatisfy { $0.status == 200 && $0.contentType == "text/html" })
        #expect(result.todo == 0)
    }
}
