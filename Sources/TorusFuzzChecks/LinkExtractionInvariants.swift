import Foundation
import TorusCrawl

/// ``TorusCrawl/LinkExtractor`` on an arbitrary page: no more links than `href=` in it,
/// each absolute (a scheme) and without a fragment.
enum LinkExtractionInvariants {
    static let pageURL = "http://example.com/dir/page.html"

    static func check(_ input: [UInt8]) throws {
        let html = String(decoding: input, as: UTF8.self)
        let links = LinkExtractor.links(in: html, pageURL: pageURL)
        let hrefs = html.lowercased().components(separatedBy: "href=").count - 1
        try expect(links.count <= hrefs, "\(links.count) links from \(hrefs) hrefs")
        for link in links {
            try expect(!link.contains("#"), "a fragment kept: \(link)")
            try expect(URL(string: link)?.scheme != nil, "not absolute: \(link)")
        }
    }
}
