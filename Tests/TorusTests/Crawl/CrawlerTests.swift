import Foundation
import HTTPTypes
import Logging
import Testing
import Torus
import TorusCrawl
import TorusHTTP

/// The chapter's test.py cases, against a TorusHTTP server on both reactors.
@Suite(.descriptorGate) struct CrawlerTests {
    @Test(arguments: TestBackend.allCases)
    func link(_ backend: TestBackend) async throws {
        let root = "<a href='/foo'>foo</a>"
        let lines = try await withTestLoop(backend) { _ in
            try await crawlTestServer(pages(["/": root, "/foo": "no links"])).lines
        }
        #expect(lines == [htmlLine("/", root, new: 1, all: 1), htmlLine("/foo", "no links", new: 0, all: 0)])
    }

    @Test(arguments: TestBackend.allCases)
    func linkCycle(_ backend: TestBackend) async throws {
        let root = "<a href=\"/foo\">", foo = "<A HREF='/'>"
        let lines = try await withTestLoop(backend) { _ in
            try await crawlTestServer(pages(["/": root, "/foo": foo])).lines
        }
        #expect(lines == [htmlLine("/", root, new: 1, all: 1), htmlLine("/foo", foo, new: 0, all: 1)])
    }

    @Test(arguments: TestBackend.allCases)
    func prohibitedHostNonHTTPAndNonHTMLLinks(_ backend: TestBackend) async throws {
        let root = """
            <a href="http://foreign-host/"> <a href="mailto:a@b.c"> <a href="ftp://127.0.0.1/x">
            <a href="javascript:void(0)"> <a href="/image.png"> <a href="/plain#fragment">
            <a href="https://127.0.0.1/secure">
            """
        let lines = try await withTestLoop(backend) { _ in
            try await crawlTestServer { path in
                switch path {
                case "/": htmlPage(root)
                case "/image.png": HTTPServerResponse(headerFields: [.contentType: "image/png"], body: [1, 2, 3])
                case "/plain": HTTPServerResponse(contentType: "text/plain", text: "<a href='/never'>")
                default: HTTPServerResponse(status: .notFound)
                }
            }.lines
        }
        #expect(
            lines == [
                htmlLine("/", root, new: 3, all: 3), "/image.png 200 image/png utf-8 3",
                "/plain 200 text/plain utf-8 17", "https://127.0.0.1/secure error unsupported scheme https (no TLS)",
            ])
    }

    @Test(arguments: TestBackend.allCases)
    func excludeAndNotFound(_ backend: TestBackend) async throws {
        let root = "<a href='/foo'><a href='/bar'><a href='/missing'>"
        let (lines, result) = try await withTestLoop(backend) { _ in
            try await crawlTestServer(configure: { configuration, _ in configuration.exclude = "fo+$" }) { path in
                try await pages(["/": root, "/bar": ""])(path)
            }
        }
        #expect(
            lines == [
                htmlLine("/", root, new: 2, all: 2), htmlLine("/bar", "", new: 0, all: 0), "/missing 404 None None 0",
            ])
        #expect(
            result.counters == [
                "html": 2, "html_bytes": root.utf8.count, "error": 1, "error_bytes": 0, "status_404": 1,
            ])
    }

    @Test(arguments: TestBackend.allCases)
    func multipleRootsAndDeepRoot(_ backend: TestBackend) async throws {
        let deep = "<a href='../other'>"
        let lines = try await withTestLoop(backend) { _ in
            try await crawlTestServer(roots: ["/deep/path/index.html", "/second"]) { path in
                try await pages(["/deep/path/index.html": deep, "/deep/other": "", "/second": ""])(path)
            }.lines
        }
        #expect(
            lines == [
                htmlLine("/deep/other", "", new: 0, all: 0), htmlLine("/deep/path/index.html", deep, new: 1, all: 1),
                htmlLine("/second", "", new: 0, all: 0),
            ])
    }

    @Test(arguments: TestBackend.allCases)
    func redirectAndRedirectJoin(_ backend: TestBackend) async throws {
        let lines = try await withTestLoop(backend) { _ in
            try await crawlTestServer(roots: ["/", "/a/b"]) { path in
                switch path {
                case "/": redirect("/foo", status: 301)
                case "/a/b": redirect("c", status: 308)
                default: htmlPage("")
                }
            }.lines
        }
        #expect(
            lines == [
                "/ 301 redirect /foo", "/a/b 308 redirect /a/c", htmlLine("/a/c", "", new: 0, all: 0),
                htmlLine("/foo", "", new: 0, all: 0),
            ])
    }

    @Test(arguments: TestBackend.allCases)
    func redirectLimitAndCycle(_ backend: TestBackend) async throws {
        let (lines, result) = try await withTestLoop(backend) { _ in
            try await crawlTestServer(
                roots: ["/r0", "/foo"], configure: { configuration, _ in configuration.maxRedirect = 2 }
            ) { path in
                switch path {
                case "/foo": redirect("/bar", status: 307)
                case "/bar": redirect("/foo", status: 303)
                default: redirect("/r\(Int(path.dropFirst(2))! + 1)")
                }
            }
        }
        #expect(
            lines == [
                "/bar 303 redirect /foo", "/foo 307 redirect /bar", "/r0 302 redirect /r1", "/r1 302 redirect /r2",
                "/r2 302 redirect /r3", "/r3 error redirect limit reached (from /r2)",
            ])
        #expect(result.counters == ["redirect": 5, "fail": 1, "fail_CrawlError": 1])
    }

    /// Two workers: the server never sees more than two requests at once, and sees two.
    @Test(arguments: TestBackend.allCases)
    func maxTasksTwo(_ backend: TestBackend) async throws {
        let root = (0..<10).map { "<a href='/\($0)'>" }.joined()
        let peak = try await withTestLoop(backend) { loop in
            let state = LoopConfined((current: 0, peak: 0), on: loop)
            let lines = try await crawlTestServer(configure: { configuration, _ in configuration.maxTasks = 2 }) {
                path in
                state.value.current += 1
                state.value.peak = max(state.value.peak, state.value.current)
                try await loop.sleep(for: .milliseconds(20))
                state.value.current -= 1
                return htmlPage(path == "/" ? root : "")
            }.lines
            #expect(lines.count == 11)
            return state.value.peak
        }
        #expect(peak == 2)
    }

    /// The server drops the connection on the first three requests: four tries succeed,
    /// three record the failure.
    @Test(arguments: TestBackend.allCases)
    func maxTries(_ backend: TestBackend) async throws {
        for tries in [4, 3] {
            let records = LogRecords()
            let (lines, requests) = try await withTestLoop(backend) { loop in
                let requests = LoopConfined(0, on: loop)
                let lines = try await crawlTestServer(configure: { configuration, _ in
                    configuration.maxTries = tries
                    configuration.logger = Logger(label: "test.crawl") { _ in CapturingLogHandler(records: records) }
                }) {
                    _ in
                    requests.value += 1
                    if requests.value <= 3 { throw CancellationError() }
                    return htmlPage("")
                }.lines
                return (lines, requests.value)
            }
            #expect(requests == tries)
            #expect(
                lines == [
                    tries == 4
                        ? htmlLine("/", "", new: 0, all: 0)
                        : "/ error connection closed before the response was complete"
                ])
            // The chapter's log lines: each failed try, then success or giving up.
            let logged = records.all.map { "\($0.level) \($0.message)" }
            let root = try #require(logged.first?.split(separator: " ").dropFirst(4).first.map(String.init))
            let failedTries = (1...3).map {
                "info try \($0) for \(root) raised connection closed before the response was complete"
            }
            #expect(
                logged == failedTries + [
                    tries == 4 ? "info try 4 for \(root) success" : "error \(root) failed after 3 tries"
                ])
        }
    }

    @Test(arguments: TestBackend.allCases)
    func encodingAndContentType(_ backend: TestBackend) async throws {
        // "café" in Latin-1, then a link; and an XML sitemap whose links are followed.
        let latin1: [UInt8] = Array("<p>caf".utf8) + [0xE9] + Array("</p><a href='/sitemap.xml'>".utf8)
        let sitemap = "<urlset><url href=\"/from-xml\"/></urlset>"
        let lines = try await withTestLoop(backend) { _ in
            try await crawlTestServer { path in
                switch path {
                case "/":
                    HTTPServerResponse(headerFields: [.contentType: "Text/HTML; Charset=\"ISO-8859-1\""], body: latin1)
                case "/sitemap.xml": HTTPServerResponse(contentType: "application/xml", text: sitemap)
                default: htmlPage("")
                }
            }.lines
        }
        #expect(
            lines == [
                "/ 200 text/html iso-8859-1 \(latin1.count) 1/1", htmlLine("/from-xml", "", new: 0, all: 0),
                "/sitemap.xml 200 application/xml utf-8 \(sitemap.utf8.count)",
            ])
    }

    @Test(arguments: TestBackend.allCases)
    func maxPages(_ backend: TestBackend) async throws {
        let site = GeneratedSite(pages: 100)
        let result = try await withTestLoop(backend) { _ in
            try await crawlTestServer(
                roots: [site.rootPath], configure: { configuration, _ in configuration.maxPages = 3 }
            ) { path in site.response(for: path) }.result
        }
        // The root's new links are queued in URL order ("/page/13" < "/page/2"); the
        // limit takes the first two.
        #expect(result.statistics.map { URL(string: $0.url)!.path } == ["/page/0", "/page/1", "/page/13"])
    }

    @Test func hostFilterStrict() {
        let filter = HostFilter(
            roots: ["http://example.com", "http://www.example.net/", "http://10.0.0.1:8080/"], strict: true)
        #expect(filter.allows(host: "example.com") && filter.allows(host: "www.example.com"))
        #expect(filter.allows(host: "EXAMPLE.NET") && filter.allows(host: "www.example.net"))
        #expect(!filter.allows(host: "foo.example.com") && !filter.allows(host: "example.org"))
        #expect(filter.allows(host: "10.0.0.1") && !filter.allows(host: "10.0.0.2"))
    }

    @Test func hostFilterLenient() {
        let filter = HostFilter(roots: ["http://www.example.com", "http://10.0.0.1"], strict: false)
        #expect(filter.allows(host: "example.com") && filter.allows(host: "foo.bar.example.com"))
        #expect(!filter.allows(host: "example.org") && !filter.allows(host: "com"))
        #expect(filter.allows(host: "10.0.0.1") && !filter.allows(host: "1.0.0.1"))
    }

    @Test func linkExtraction() {
        let html = """
            <head><BASE HREF="http://h/dir/"></head><a href='a.html#x'> <a href="/b?q=1"> <a href=c>
            <a href="http://other/d e"> <a href=''>
            """
        #expect(
            LinkExtractor.links(in: html, pageURL: "http://h/page")
                == ["http://h/dir/", "http://h/dir/a.html", "http://h/b?q=1", "http://other/d"])
    }
}
