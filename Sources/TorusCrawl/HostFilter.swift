import Foundation

/// Which hosts a crawl may visit, decided as the chapter's `host_okay`: the roots' hosts;
/// in strict mode also the same host with or without a leading `www.`; in lenient mode
/// any host sharing the last two labels with a root. An IPv4 address must be a root's
/// host exactly. Ports are ignored.
public struct HostFilter: Sendable {
    /// The roots' hosts (lenient: their last two labels), lower-cased.
    public let rootDomains: Set<String>
    /// Strict (`www.` variants only) or lenient (last two labels).
    public let strict: Bool

    /// The filter for crawls starting at `roots` (URLs).
    public init(roots: [String], strict: Bool) {
        self.strict = strict
        var domains = Set<String>()
        for root in roots {
            guard let host = URL(string: root)?.host(percentEncoded: false)?.lowercased(), !host.isEmpty else {
                continue
            }
            domains.insert(Self.isIPv4(host) || strict ? host : Self.lastTwoLabels(host))
        }
        rootDomains = domains
    }

    /// Whether `host` may be crawled.
    public func allows(host: String) -> Bool {
        let host = host.lowercased()
        if rootDomains.contains(host) { return true }
        if Self.isIPv4(host) { return false }
        if strict {
            let toggled = host.hasPrefix("www.") ? String(host.dropFirst(4)) : "www." + host
            return rootDomains.contains(toggled)
        }
        return rootDomains.contains(Self.lastTwoLabels(host))
    }

    /// Digits and dots only, as the chapter's `\A[\d\.]*\Z`.
    private static func isIPv4(_ host: String) -> Bool {
        host.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber }
    }

    private static func lastTwoLabels(_ host: String) -> String {
        host.split(separator: ".", omittingEmptySubsequences: false).suffix(2).joined(separator: ".")
    }
}
