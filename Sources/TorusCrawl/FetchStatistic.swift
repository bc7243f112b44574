/// What fetching one URL gave, as the chapter's `FetchStatistic`.
public struct FetchStatistic: Sendable, Codable, Equatable {
    /// The URL fetched.
    public var url: String
    /// Where it redirects, for a redirect.
    public var nextURL: String?
    /// The response's status code; nil when no response came.
    public var status: Int?
    /// Why it failed, when it did.
    public var error: String?
    /// The error's type name (the report counts `fail_<kind>`).
    public var errorKind: String?
    /// Body bytes.
    public var size = 0
    /// The media type, without parameters (`text/html`).
    public var contentType: String?
    /// The charset parameter, `utf-8` by default.
    public var encoding: String?
    /// Allowed links on the page.
    public var numURLs = 0
    /// Of those, the ones not seen before.
    public var numNewURLs = 0

    /// A statistic for `url`; fill in the rest.
    public init(url: String) {
        self.url = url
    }
}
