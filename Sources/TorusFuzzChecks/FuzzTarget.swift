/// The fuzz targets: each names a parser of untrusted bytes and checks, on one input,
/// the invariants it must keep (not only that it does not crash).
///
/// The fuzzers in `Fuzz/` call ``fuzz(_:_:)``; the replay test runs ``check(_:)`` over
/// the committed inputs in `Tests/TorusTests/FuzzInputs/<rawValue>/`, so an input that
/// once broke an invariant keeps being checked by `swift test`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The server's request decoder (``TorusHTTP/HTTPServer``): heads, Content-Length
    /// and chunked bodies, trailers.
    case httpRequest = "http-request"
    /// The server's own request parser (``TorusHTTP/HTTPRequestFramer``) against
    /// SwiftNIO's decoder on the same bytes.
    case httpRequestDifferential = "http-request-differential"
    /// The client's response reader (``TorusHTTP/HTTPClient``): heads, bodies of every
    /// framing, the body limit, connection reuse.
    case httpResponse = "http-response"
    /// ``TorusCrawl/URLNormalizer``: the crawler's URL identity.
    case urlNormalize = "url-normalize"
    /// The crawler's resolution of a redirect's `Location` against the page's URL.
    case redirectTarget = "redirect-target"
    /// ``TorusCrawl/LinkExtractor``: hrefs in a page, resolved against it or its base.
    case linkExtraction = "link-extraction"
    /// ``TorusCommandLine/OptionCheck``: durations and counts given on a command line.
    case commandLineValues = "cli-values"

    /// Runs the target's parser on `input` and checks its invariants.
    /// - Throws: ``InvariantViolation`` naming the invariant broken.
    public func check(_ input: [UInt8]) throws {
        switch self {
        case .httpRequest: try HTTPRequestInvariants.check(input)
        case .httpRequestDifferential: try HTTPRequestDifferential.check(input)
        case .httpResponse: try HTTPResponseInvariants.check(input)
        case .urlNormalize: try URLNormalizerInvariants.check(input)
        case .redirectTarget: try RedirectTargetInvariants.check(input)
        case .linkExtraction: try LinkExtractionInvariants.check(input)
        case .commandLineValues: try CommandLineValueInvariants.check(input)
        }
    }

    /// The body of a libFuzzer `LLVMFuzzerTestOneInput`: checks the `size` bytes at
    /// `data` and traps on a broken invariant, so libFuzzer records the input as a crash.
    public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        do {
            try check(input)
        } catch {
            fatalError("\(rawValue): \(error)")
        }
        return 0
    }
}
