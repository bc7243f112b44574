import Foundation

/// Finds the links in a page as the chapter does (its regex
/// `(?i)href=["']([^\s"'<>]+)`), resolves them against the page URL or its
/// `<base href>`, and drops fragments.
public enum LinkExtractor {
    /// The distinct absolute links of `html`, a page fetched from `pageURL`.
    public static func links(in html: String, pageURL: String) -> Set<String> {
        let bytes = Array(html.utf8)
        guard let page = URL(string: pageURL) else { return [] }
        let base = baseHref(in: bytes).flatMap { URL(string: $0, relativeTo: page) } ?? page
        var links = Set<String>()
        for href in hrefs(in: bytes[...]) {
            guard let resolved = URL(string: href, relativeTo: base)?.absoluteString else { continue }
            links.insert(defragmented(resolved))
        }
        return links
    }

    /// `url` without its `#fragment`.
    public static func defragmented(_ url: String) -> String {
        url.firstIndex(of: "#").map { String(url[..<$0]) } ?? url
    }

    /// The values of every `href="..."` or `href='...'`, case-insensitively, each ending
    /// at whitespace, a quote, `<` or `>`.
    static func hrefs(in bytes: ArraySlice<UInt8>) -> [String] {
        var values: [String] = []
        var index = bytes.startIndex
        while let start = find(hrefNeedle, in: bytes[index...]) {
            var end = start + 6
            guard start + 5 < bytes.endIndex, bytes[start + 5] == quote || bytes[start + 5] == apostrophe else {
                index = start + 5
                continue
            }
            while end < bytes.endIndex, !endsHref(bytes[end]) { end += 1 }
            if end > start + 6 { values.append(String(decoding: bytes[(start + 6)..<end], as: UTF8.self)) }
            index = end
        }
        return values
    }

    /// The first href inside the first `<base ...>` tag.
    private static func baseHref(in bytes: [UInt8]) -> String? {
        guard let tag = find(baseNeedle, in: bytes[...]) else { return nil }
        let close = bytes[tag...].firstIndex(of: UInt8(ascii: ">")) ?? bytes.endIndex
        return hrefs(in: bytes[tag..<close]).first
    }

    /// Where `needle` (lower-case ASCII) starts in `bytes`, ignoring ASCII case.
    private static func find(_ needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= needle.count, let first = needle.first else { return nil }
        return bytes.withUnsafeBufferPointer { buffer in
            needle.withUnsafeBufferPointer { needle in
                var index = 0
                let last = buffer.count - needle.count
                while index <= last {
                    // The first byte alone rules out nearly every position.
                    if lower(buffer[index]) == first {
                        var matched = 1
                        while matched < needle.count, lower(buffer[index + matched]) == needle[matched] { matched += 1 }
                        if matched == needle.count { return bytes.startIndex + index }
                    }
                    index += 1
                }
                return nil
            }
        }
    }

    @inline(__always)
    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    private static let quote = UInt8(ascii: "\"")
    private static let apostrophe = UInt8(ascii: "'")
    private static let hrefNeedle = Array("href=".utf8)
    private static let baseNeedle = Array("<base".utf8)

    /// Whether `byte` ends an unquoted-looking href value: whitespace, a quote, `<` or `>`.
    private static func endsHref(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), 0x0C,
            quote, apostrophe, UInt8(ascii: "<"), UInt8(ascii: ">"):
            true
        default: false
        }
    }
}
