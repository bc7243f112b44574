import TorusHTTP

/// A generated site of linked HTML pages, `/page/0` to `/page/<pages - 1>`, for the
/// tests and the benchmark. Every page is reachable from `/page/0`: page i links to
/// i + 1, 2i + 1, 2i + 2 and a pseudo-random page, with a relative link to itself and a
/// fragment link thrown in (both must resolve to pages already seen).
public struct GeneratedSite: Sendable {
    /// How many pages the site has.
    public let pages: Int

    /// A site of `pages` pages.
    public init(pages: Int) {
        self.pages = pages
    }

    /// The first page's path.
    public var rootPath: String { "/page/0" }

    /// The page at `path`, or 404.
    public func response(for path: String) -> HTTPServerResponse {
        guard path.hasPrefix("/page/"), let index = Int(path.dropFirst(6)), (0..<pages).contains(index) else {
            return HTTPServerResponse(status: .notFound, contentType: "text/plain", text: "no such page")
        }
        let targets = [index + 1, 2 * index + 1, 2 * index + 2, (index &* 7919 &+ 13) % pages].filter { $0 < pages }
        let links = targets.map { "<li><a href=\"/page/\($0)\">page \($0)</a></li>" }.joined()
        let html = """
            <html><head><title>Page \(index)</title></head><body><h1>Page \(index)</h1>
            <ul>\(links)</ul><a href='\(index)#top'>this page</a> <a href="#footer">footer</a></body></html>
            """
        return HTTPServerResponse(contentType: "text/html; charset=utf-8", text: html)
    }
}
