import Foundation
import HTTPTypes
import Testing
import Torus
import TorusCrawl
import TorusHTTP

/// Redirect targets and URL identity (issue 12.7 and 12.8): one URL, one fetch.
@Suite(.descriptorGate) struct CrawlerURLTests {
    /// An empty `Location` is an error for the redirecting URL, not a report line with
    /// an empty URL.
    @Test(arguments: TestBackend.allCases)
    func emptyLocationIsAnError(_ backend: TestBackend) async throws {
        let (lines, result) = try await withTestLoop(backend) { _ in
            try await crawlTestServer { _ in redirect("") }
        }
        #expect(lines == ["/ error redirect without a usable Location"])
        #expect(result.counters == ["fail": 1, "fail_CrawlError": 1])
    }

    /// A `Location` that does not parse as a URL is an error, never queued raw.
    @Test(arguments: TestBackend.allCases)
    func unparseableLocationIsAnError(_ backend: TestBackend) async throws {
        let lines = try await withTestLoop(backend) { _ in
            try await crawlTestServer { _ in redirect("http://a b/") }.lines
        }
        #expect(lines == ["/ error redirect without a usable Location"])
    }

    /// Two `Location` headers: the first is followed, not the two joined.
    @Test(arguments: TestBackend.allCases)
    func twoLocationHeadersFollowTheFirst(_ backend: TestBackend) async throws {
        let lines = try await withTestLoop(backend) { _ in
            try await crawlTestServer { path in
                guard path == "/" else { return htmlPage("") }
                var fields = HTTPFields()
                fields.append(HTTPField(name: .location, value: "/a"))
                fields.append(HTTPField(name: .location, value: "/b"))
                return HTTPServerResponse(status: .found, headerFields: fields)
            }.lines
        }
        #expect(lines == ["/ 302 redirect /a", htmlLine("/a", "", new: 0, all: 0)])
    }

    /// Roots differing only in scheme case, dot segments, an empty port or a fragment
    /// are one URL, and 500 identical roots are crawled once.
    @Test(arguments: TestBackend.allCases)
    func equivalentAndDuplicateRootsAreCrawledOnce(_ backend: TestBackend) async throws {
        let (lines, result) = try await withTestLoop(backend) { _ in
            try await crawlTestServer(configure: { configuration, base in
                let upper = base.replacingOccurrences(of: "http://", with: "HTTP://")
                configuration.roots =
                    [upper + "/", base + "/./a/../", base + "/#top", base]
                    + Array(repeating: base + "/", count: 500)
            }) { _ in htmlPage("") }
        }
        #expect(lines == [htmlLine("/", "", new: 0, all: 0)])
        #expect(result.statistics.count == 1)
    }

    /// `%7E`, `%7e` and `~` in links are one URL, fetched once as `~`.
    @Test(arguments: TestBackend.allCases)
    func percentEncodedUnreservedLinksAreOneURL(_ backend: TestBackend) async throws {
        let root = "<a href='/%7Euser'><a href='/%7euser'><a href='/~user'><a href='/a/%2e%2e/~user'>"
        let lines = try await withTestLoop(backend) { _ in
            try await crawlTestServer(pages(["/": root, "/~user": ""])).lines
        }
        #expect(lines == [htmlLine("/", root, new: 1, all: 1), htmlLine("/~user", "", new: 0, all: 0)])
    }

    /// A redirect target is normalized and checked against the URLs already seen.
    @Test(arguments: TestBackend.allCases)
    func redirectTargetsShareTheSeenSet(_ backend: TestBackend) async throws {
        let root = "<a href='/~a'><a href='/r'>"
        let lines = try await withTestLoop(backend) { _ in
            try await crawlTestServer { path in
                switch path {
                case "/": htmlPage(root)
                case "/r": redirect("/%7ea#part")
                default: htmlPage("")
                }
            }.lines
        }
        #expect(
            lines == [
                htmlLine("/", root, new: 2, all: 2), "/r 302 redirect /~a", htmlLine("/~a", "", new: 0, all: 0),
            ])
    }
}
