import TorusCrawl

/// The crawler's redirect resolution on arbitrary text (the `Location` value, then after
/// the first newline the page's URL, `http://example.com/dir/page` without one): the
/// target is an http or https URL with a host, in normal form.
enum RedirectTargetInvariants {
    static func check(_ input: [UInt8]) throws {
        let text = String(decoding: input, as: UTF8.self)
        let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let page = parts.count > 1 ? String(parts[1]) : "http://example.com/dir/page"
        guard let target = Crawler.redirectTarget(String(parts[0]), from: page) else { return }
        try expect(
            target.hasPrefix("http://") || target.hasPrefix("https://"),
            "redirect to \(parts[0].debugDescription) from \(page.debugDescription) goes to \(target)")
        try URLNormalizerInvariants.checkNormal(target, of: String(parts[0]))
    }
}
