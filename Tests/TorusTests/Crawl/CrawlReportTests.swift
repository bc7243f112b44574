import Foundation
import Testing
import Torus
import TorusCrawl

/// The report's text, the JSON result, and the URL filter.
@Suite(.descriptorGate) struct CrawlReportTests {
    static let result: CrawlResult = {
        var page = FetchStatistic(url: "http://h/")
        page.status = 200
        page.contentType = "text/html"
        page.encoding = "utf-8"
        page.size = 120
        page.numURLs = 3
        page.numNewURLs = 2
        var moved = FetchStatistic(url: "http://h/a")
        moved.status = 301
        moved.nextURL = "http://h/b"
        var missing = FetchStatistic(url: "http://h/c")
        missing.status = 404
        missing.size = 9
        var failed = FetchStatistic(url: "http://h/d")
        failed.error = "request timed out"
        failed.errorKind = "HTTPClientError"
        var image = FetchStatistic(url: "http://h/e.png")
        image.status = 200
        image.contentType = "image/png"
        image.encoding = "utf-8"
        image.size = 1000
        return CrawlResult(
            statistics: [page, moved, missing, failed, image], elapsed: .milliseconds(2500), maxTasks: 2, todo: 0)
    }()

    @Test func reportAsTheChapterPrintsIt() {
        let lines = Self.result.report(date: Date(timeIntervalSince1970: 0))
        #expect(
            lines == [
                "*** Report ***",
                "http://h/ 200 text/html utf-8 120 2/3",
                "http://h/a 301 redirect http://h/b",
                "http://h/c 404 None None 9",
                "http://h/d error request timed out",
                "http://h/e.png 200 image/png utf-8 1000",
                "Finished 5 urls in 2.500 secs (max_tasks=2) (1.000 urls/sec/task)",
                "         1 error",
                "         9 error_bytes",
                "         1 fail",
                "         1 fail_HTTPClientError",
                "         1 html",
                "       120 html_bytes",
                "         1 other",
                "      1000 other_bytes",
                "         1 redirect",
                "         1 status_404",
                "Todo: 0",
                "Done: 5",
                "Date: 1970-01-01T00:00:00Z",
            ])
    }

    @Test func jsonRoundTrip() throws {
        let json = try JSONEncoder().encode(Self.result)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["elapsedSeconds"] as? Double == 2.5)
        #expect((object["counters"] as? [String: Int])?["html_bytes"] == 120)
        let decoded = try JSONDecoder().decode(CrawlResult.self, from: json)
        #expect(decoded.statistics == Self.result.statistics && decoded.elapsed == .milliseconds(2500))
    }

    @Test(arguments: TestBackend.allCases)
    func rootsGetHTTPAndURLsAreFiltered(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            var configuration = Crawler.Configuration(roots: ["example.com/start", "https://www.example.org"])
            configuration.exclude = "\\.pdf$"
            let crawler = try Crawler(configuration: configuration)
            #expect(crawler.configuration.roots == ["http://example.com/start", "https://www.example.org/"])
            #expect(crawler.allows("http://www.example.com/x") && crawler.allows("https://example.org:8443/"))
            #expect(!crawler.allows("http://example.com/paper.pdf") && !crawler.allows("ftp://example.com/"))
            #expect(!crawler.allows("http://other.com/") && !crawler.allows("not a url"))
        }
    }
}
