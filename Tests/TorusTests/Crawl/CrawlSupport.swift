import Foundation
import HTTPTypes
import Torus
import TorusCrawl
import TorusHTTP

/// Crawls a TorusHTTP test server answering each path with `handler`, from `roots`
/// (paths on that server), with `configure` applied to the defaults (a 2 s timeout, scaled: ``testTimeScale``).
/// Returns the report's URL lines with the server's base URL cut out, in order, and the
/// result. Call on a loop.
func crawlTestServer(
    roots: [String] = ["/"],
    configure: @escaping @Sendable (inout Crawler.Configuration, String) -> Void = { _, _ in },
    _ handler: @escaping @Sendable (String) async throws -> HTTPServerResponse
) async throws -> (lines: [String], result: CrawlResult) {
    try await withHTTPServer({ request, _ in try await handler(request.path ?? "/") }) { base in
        var configuration = Crawler.Configuration(roots: roots.map { base + $0 })
        configuration.client.timeout = .seconds(2).scaled
        configure(&configuration, base)
        let result = try await Crawler(configuration: configuration).crawl()
        return (reportLines(result, base: base), result)
    }
}

/// The report's per-URL lines, `base` removed.
func reportLines(_ result: CrawlResult, base: String) -> [String] {
    result.report().dropFirst().prefix(result.statistics.count).map { $0.replacingOccurrences(of: base, with: "") }
}

/// The report line of an HTML page whose body is `html` and which has `new` of `all`
/// allowed links new.
func htmlLine(_ path: String, _ html: String, new: Int, all: Int) -> String {
    "\(path) 200 text/html utf-8 \(html.utf8.count) \(new)/\(all)"
}

/// A handler serving `pages` (path to HTML), 404 elsewhere.
func pages(_ pages: [String: String]) -> @Sendable (String) async throws -> HTTPServerResponse {
    { path in
        guard let html = pages[path] else { return HTTPServerResponse(status: .notFound, body: []) }
        return htmlPage(html)
    }
}

/// A redirect to `location` with `status`.
func redirect(_ location: String, status: Int = 302) -> HTTPServerResponse {
    HTTPServerResponse(status: .init(code: status), headerFields: [.location: location])
}
