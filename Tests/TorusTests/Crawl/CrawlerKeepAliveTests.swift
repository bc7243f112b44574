import Foundation
import Testing
import Torus
import TorusCrawl
import TorusHTTP

/// Issue 12.4 in a crawl: a server that sends each page followed by a duplicate of it
/// (its head split across two writes) must not make every following page the previous
/// one's body.
@Suite(.descriptorGate) struct CrawlerKeepAliveTests {
    @Test(arguments: TestBackend.allCases)
    func duplicateResponsesDoNotShiftPages(_ backend: TestBackend) async throws {
        let count = 6
        let html = (0..<count).map { $0 + 1 < count ? "<a href='/p\($0 + 1)'>page \($0)</a>" : "last" }
        let lines = try await withTestLoop(backend) { _ in
            try await withRawKeepAliveServer({ connection, head in
                let path = requestPath(head)
                guard path.hasPrefix("/p"), let index = Int(path.dropFirst(2)), html.indices.contains(index) else {
                    return try await connection.write(Array("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".utf8))
                }
                let page = okResponse(html[index], fields: "Content-Type: text/html; charset=utf-8\r\n")
                // The page, then the same response again: its first bytes with the page,
                // the rest in a second write.
                try await connection.write(page + page.prefix(17))
                try await connection.write(Array(page.dropFirst(17)))
            }) { base, _ in
                var configuration = Crawler.Configuration(roots: ["\(base)/p0"])
                configuration.maxTasks = 1
                configuration.client.timeout = .seconds(2)
                return reportLines(try await Crawler(configuration: configuration).crawl(), base: base)
            }
        }
        let expected = (0..<count).map {
            htmlLine("/p\($0)", html[$0], new: $0 + 1 < count ? 1 : 0, all: $0 + 1 < count ? 1 : 0)
        }
        #expect(lines == expected)
    }
}
