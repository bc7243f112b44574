import Testing
import TorusCrawl

/// ``URLNormalizer`` (named to run under `--filter Crawl`): RFC 3986 sections 6.2.2 and 6.2.3, case by case.
@Suite(.descriptorGate) struct CrawlURLNormalizerTests {
    /// (input, normal form) pairs, including issue 12.8's examples.
    static let cases: [(String, String)] = [
        // Scheme and host case.
        ("HTTP://host/", "http://host/"),
        ("http://host/", "http://host/"),
        ("hTTp://WWW.Example.COM/Path/A", "http://www.example.com/Path/A"),
        ("http://User:Pw@EXAMPLE.com/", "http://User:Pw@example.com/"),
        // Percent-encoding: unreserved decoded, others upper-case hex.
        ("http://h/%7Euser", "http://h/~user"),
        ("http://h/%7euser", "http://h/~user"),
        ("http://h/~user", "http://h/~user"),
        ("http://h/%41%7a%30%2D%2e%5F", "http://h/Az0-._"),
        ("http://h/a%2fb%3a%c3%a9", "http://h/a%2Fb%3A%C3%A9"),
        ("http://h/?q=%7e%2b", "http://h/?q=~%2B"),
        ("http://%48ost/", "http://host/"),
        ("http://h/100%", "http://h/100%"),
        ("http://h/%zz%4", "http://h/%zz%4"),
        // Dot segments (RFC 3986 section 5.4.2's examples among them).
        ("http://h/a/b/c/./../../g", "http://h/a/g"),
        ("http://h/mid/content=5/../6", "http://h/mid/6"),
        ("http://h/./a/../", "http://h/"),
        ("http://h/../../x", "http://h/x"),
        ("http://h/a/.", "http://h/a/"),
        ("http://h/a/..", "http://h/"),
        ("http://h/a/%2E%2E/b", "http://h/b"),
        ("http://h/.hidden/..x", "http://h/.hidden/..x"),
        ("http://h/a/./b?x=/../y", "http://h/a/b?x=/../y"),
        // Ports.
        ("http://h:80/", "http://h/"),
        ("https://h:443/", "https://h/"),
        ("http://h:443/", "http://h:443/"),
        ("https://h:80/", "https://h:80/"),
        ("http://h:8080/", "http://h:8080/"),
        ("http://h:/", "http://h/"),
        ("http://[::1]:80/", "http://[::1]/"),
        ("http://[FE80::1]/", "http://[fe80::1]/"),
        // Empty path, fragment.
        ("http://h", "http://h/"),
        ("http://h?q", "http://h/?q"),
        ("http://h/p#Frag", "http://h/p"),
        ("http://h#", "http://h/"),
        // No authority: the path is left as it is, but for dot segments.
        ("MAILTO:a@B.c", "mailto:a@B.c"),
    ]

    @Test(arguments: cases)
    func normalizes(_ input: String, _ expected: String) {
        #expect(URLNormalizer.normalize(input) == expected)
    }

    /// Equivalent URLs meet in one normal form.
    @Test func equivalentURLsAgree() {
        let forms = ["HTTP://Host:80/%7Ea/./b/../c#x", "http://host/~a/c", "http://HOST:/%7ea/c"]
        #expect(Set(forms.map(URLNormalizer.normalize)) == ["http://host/~a/c"])
    }

    /// Without a scheme there is nothing to normalize.
    @Test(arguments: ["", "/relative/path", "no scheme", "1http://h/", "://h/", "#frag"])
    func rejectsStringsWithoutAScheme(_ input: String) {
        #expect(URLNormalizer.normalize(input) == nil)
    }

    /// The fast path takes the common normal URLs as they are, and leaves every case
    /// above that needs work (and the edge cases of its own checks) to the full path;
    /// what it takes, the full path leaves unchanged.
    @Test func theFastPathTakesOnlyNormalURLs() {
        let normal = [
            "http://h/", "http://example.com/a/b.html", "http://example.com:8080/a?b=c&d=../e",
            "https://en.cppreference.com/w/cpp/container/vector", "http://h/a/.b/..c/...", "http://h/a?%",
        ]
        for url in normal.dropLast() {
            #expect(URLNormalizer.isNormal(url), "\(url)")
            #expect(URLNormalizer.normalizeSlowly(url) == url, "\(url)")
        }
        let needsWork = [
            "http://h", "http://h:80/", "https://h:443/", "http://h:/", "http://h/a/./b", "http://h/a/..",
            "http://h/.", "http://h/a/../b?c", "http://H/", "HTTP://h/", "http://h/a#f", "http://u@h/",
            "http://h/%7e", "http://h/a?%", "http://[::1]/", "http://h/\u{e9}", "mailto:a@b",
        ]
        for url in needsWork { #expect(!URLNormalizer.isNormal(url), "\(url)") }
        for (input, _) in Self.cases where URLNormalizer.isNormal(input) {
            #expect(URLNormalizer.normalizeSlowly(input) == input, "\(input)")
        }
    }
}
