import Foundation
import HTTPTypes
import Logging
import Torus
import TorusHTTP

/// The chapter's crawler (`crawling.py`) on a Torus loop: `maxTasks` workers take
/// (URL, redirects left) from a ``Torus/Queue``, fetch, follow redirects and links on
/// allowed hosts; the crawl ends when the queue is joined, and the workers are cancelled.
///
/// Loop-local: create it and call ``crawl()`` in a task pinned to one loop.
public final class Crawler: @unchecked Sendable {
    // @unchecked Sendable: `seen`, `done`, the counters and the queue are touched only
    // by tasks on `loop` (the workers are child tasks of `crawl()` and inherit its loop).

    /// How to crawl (the chapter's options, plus limits).
    public struct Configuration: Sendable {
        /// Where to start; a root without `://` gets `http://`. Roots are normalized
        /// (``URLNormalizer``) and crawled once each.
        public var roots: [String]
        /// Concurrent workers.
        public var maxTasks = 10
        /// Redirects followed from one URL before giving up.
        public var maxRedirect = 10
        /// Attempts per URL on connection errors and timeouts.
        public var maxTries = 4
        /// Retries, with growing waits, of fetches that failed for want of descriptors or
        /// memory; they count as tries only once spent.
        public var resourceBackoff = ResourceBackoff()
        /// Connections open at most; nil, the default: what the open-file limit allows
        /// (``DescriptorBudget/connections()``), which also bounds a value given here (and
        /// `client.maxConnections`). Workers beyond it wait for a free connection.
        public var maxConnections: Int?
        /// URLs matching this regular expression are skipped.
        public var exclude: String?
        /// Strict (`www.` variants) or lenient (same last two labels) host matching.
        public var strict = true
        /// At most this many URLs are queued (nil: no limit).
        public var maxPages: Int?
        /// The HTTP client's per-request timeout and body limit.
        public var client = HTTPClient.Configuration()
        /// Where the chapter's log lines go: retries and redirects at `info`, the
        /// distinct links found on each page at `debug`, a URL that failed every try at
        /// `error`.
        public var logger = Logger(label: "torus.crawl")

        /// A configuration starting at `roots`, with the chapter's defaults.
        public init(roots: [String]) {
            self.roots = roots
        }
    }

    /// A URL to fetch and how many redirects it may still follow.
    struct Job: Sendable {
        var url: String
        var redirectsLeft: Int
    }

    /// The loop the crawl runs on.
    public let loop: EventLoop
    /// The configuration, roots fixed up.
    public let configuration: Configuration
    /// The hosts that may be crawled.
    public let hostFilter: HostFilter
    /// The most connections open at once: ``Configuration/maxConnections`` bounded by
    /// what the open-file limit allows when the crawler was made (the client's cap).
    public var connectionCap: Int { configuration.client.maxConnections ?? .max }
    private let exclude: Regex<AnyRegexOutput>?
    private let client: HTTPClient
    private let queue: Queue<Job>
    private var seen = Set<String>()
    private var done: [FetchStatistic] = []
    private var inFlight = 0
    private var started = ContinuousClock.now

    /// A crawler on `loop` (by default the calling thread's loop).
    /// - Throws: the regular expression's error for a bad `exclude`; ``Torus/TorusError``
    ///   `.notOnLoop` off a loop, `.invalidArgument` for a `maxConnections` below 1.
    public init(configuration: Configuration, loop: EventLoop? = nil) throws {
        guard let loop = loop ?? EventLoop.current else { throw TorusError(.queue, .notOnLoop) }
        var configuration = configuration
        configuration.roots = Self.uniqueRoots(configuration.roots)
        // Every worker may be talking to the same host: keep that many connections alive.
        configuration.client.maxIdlePerHost = max(configuration.client.maxIdlePerHost, configuration.maxTasks)
        let connectionCap = min(
            configuration.maxConnections ?? .max, configuration.client.maxConnections ?? .max,
            DescriptorBudget.connections())
        configuration.client.maxConnections = connectionCap
        if connectionCap < configuration.maxTasks {
            configuration.logger.warning(
                "max_tasks=\(configuration.maxTasks) but at most \(connectionCap) connections (open-file limit \(DescriptorBudget.softLimit)): the other workers wait for a free one"
            )
        }
        self.loop = loop
        self.configuration = configuration
        self.hostFilter = HostFilter(roots: configuration.roots, strict: configuration.strict)
        self.exclude = try configuration.exclude.map { try Regex($0) }
        self.client = try HTTPClient(configuration: configuration.client, loop: loop)
        self.queue = try Queue(loop: loop)
        for root in configuration.roots { try add(root, redirectsLeft: configuration.maxRedirect) }
    }

    /// `roots` with `http://` added where there is no `://`, normalized, duplicates
    /// dropped (the first kept); a root that does not normalize is kept as written.
    static func uniqueRoots(_ roots: [String]) -> [String] {
        var seen = Set<String>()
        return roots.compactMap { root in
            let url = root.contains("://") ? root : "http://" + root
            let normal = URLNormalizer.normalize(url) ?? url
            return seen.insert(normal).inserted ? normal : nil
        }
    }

    /// Whether `url` may be crawled: not excluded, http or https, an allowed host.
    public func allows(_ url: String) -> Bool {
        if let exclude, url.contains(exclude) { return false }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = parsed.host(percentEncoded: false)
        else { return false }
        return hostFilter.allows(host: host)
    }

    /// Crawls until every URL queued has been fetched.
    public func crawl() async throws -> CrawlResult {
        started = .now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<configuration.maxTasks {
                group.addTask { try await self.work() }
            }
            try await queue.join()
            group.cancelAll()
        }
        await client.shutdown()
        return CrawlResult(
            statistics: done.sorted { $0.url < $1.url }, elapsed: ContinuousClock.now - started,
            maxTasks: configuration.maxTasks, todo: try queue.count)
    }

    /// Done, queued and in-flight counts and the rate so far, for a progress line.
    public var progress: CrawlProgress {
        let elapsed = ContinuousClock.now - started
        return CrawlProgress(
            done: done.count, queued: (try? queue.count) ?? 0, inFlight: inFlight,
            pagesPerSecond: Double(done.count) / max(elapsed.seconds, 1e-9))
    }

    private func work() async throws {
        while true {
            let job = try await queue.get()
            inFlight += 1
            await fetch(job)
            inFlight -= 1
            try queue.taskDone()
        }
    }

    /// Queues `url` (already normalized) unless it was seen or `maxPages` are queued already.
    private func add(_ url: String, redirectsLeft: Int) throws {
        if seen.contains(url) { return }
        if let maxPages = configuration.maxPages, seen.count >= maxPages { return }
        seen.insert(url)
        try queue.putNowait(Job(url: url, redirectsLeft: redirectsLeft))
    }

    /// Fetches `job.url` (retrying connection errors and timeouts, and resource
    /// exhaustion after a back-off), records what came back, and queues the redirect
    /// target or the new links.
    private func fetch(_ job: Job) async {
        var lastError: any Error = HTTPClientError.invalidURL(job.url)
        guard let url = URL(string: job.url) else { return record(failure: job.url, lastError) }
        let logger = configuration.logger
        let tries = max(1, configuration.maxTries)
        var attempt = 1
        var resourceRetries = 0
        while true {
            do {
                let response = try await client.get(url)
                if attempt > 1 || resourceRetries > 0 { logger.info("try \(attempt) for \(job.url) success") }
                return process(response, for: job)
            } catch {
                lastError = error
                if (error as? TorusError)?.isResourceExhaustion == true,
                    let delay = configuration.resourceBackoff.delay(beforeRetry: resourceRetries + 1)
                {
                    resourceRetries += 1
                    logger.info("try \(attempt) for \(job.url) raised \(error); again in \(delay)")
                    do { try await loop.sleep(for: delay) } catch { break }
                    continue
                }
                logger.info("try \(attempt) for \(job.url) raised \(error)")
                if !error.isWorthRetrying { break }
                if attempt == tries {
                    logger.error("\(job.url) failed after \(tries) tries")
                    break
                }
                attempt += 1
            }
        }
        record(failure: job.url, lastError)
    }

    private func process(_ response: HTTPClientResponse, for job: Job) {
        var statistic = FetchStatistic(url: job.url)
        statistic.status = response.status
        if Self.redirectStatuses.contains(response.status), let location = Self.location(of: response) {
            guard let next = Self.redirectTarget(location, from: job.url) else {
                return record(failure: job.url, CrawlError.unusableLocation)
            }
            statistic.nextURL = next
            done.append(statistic)
            configuration.logger.info("redirect to \(next) from \(job.url)")
            if seen.contains(next) { return }
            if job.redirectsLeft > 0 {
                try? add(next, redirectsLeft: job.redirectsLeft - 1)
            } else {
                seen.insert(next)
                record(failure: next, CrawlError.redirectLimit(from: job.url))
            }
            return
        }
        statistic.size = response.body.count
        var links = Set<String>()
        if response.status == 200 {
            let (mediaType, charset) = Self.contentType(response.head.headerFields[.contentType])
            statistic.contentType = mediaType
            statistic.encoding = charset
            if mediaType == "text/html" || mediaType == "application/xml" {
                let text = Self.decode(response.body, charset: charset)
                let found = LinkExtractor.links(in: text, pageURL: job.url)
                links = Set(found.compactMap(URLNormalizer.normalize)).filter(allows)
            }
        }
        let new = links.filter { !seen.contains($0) }
        statistic.numURLs = links.count
        statistic.numNewURLs = new.count
        done.append(statistic)
        if !links.isEmpty { configuration.logger.debug("got \(links.count) distinct urls from \(job.url)") }
        for link in new.sorted() { try? add(link, redirectsLeft: configuration.maxRedirect) }
    }

    private func record(failure url: String, _ error: any Error) {
        var statistic = FetchStatistic(url: url)
        statistic.error = String(describing: error)
        statistic.errorKind = String(describing: type(of: error))
        done.append(statistic)
    }

    /// The first `Location` header of `response`, if any: two headers are not joined.
    static func location(of response: HTTPClientResponse) -> String? {
        response.head.headerFields[values: .location].first
    }

    /// Where a redirect from `pageURL` to `location` goes, normalized; nil when
    /// `location` is empty or does not resolve to an http or https URL with a host (the
    /// client speaks nothing else).
    package static func redirectTarget(_ location: String, from pageURL: String) -> String? {
        HTTPClientResponse.resolve(location: location, relativeTo: URL(string: pageURL))
            .flatMap { URLNormalizer.normalize($0.absoluteString) }
    }

    /// The chapter's redirect codes, and 308.
    static let redirectStatuses: Set<Int> = [300, 301, 302, 303, 307, 308]

    /// The media type (lower-cased, no parameters) and charset (`utf-8` by default) of a
    /// Content-Type value.
    static func contentType(_ value: String?) -> (mediaType: String?, charset: String) {
        guard let value else { return (nil, "utf-8") }
        let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        var charset = "utf-8"
        for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("charset=") {
            charset = parameter.dropFirst(8).trimmingCharacters(in: CharacterSet(charactersIn: "\"' ")).lowercased()
        }
        return (parts.first?.lowercased(), charset)
    }

    /// The body as text: Latin-1 byte for byte, anything else as UTF-8 (invalid
    /// sequences replaced).
    static func decode(_ body: [UInt8], charset: String) -> String {
        if ["iso-8859-1", "latin-1", "latin1"].contains(charset) {
            return String(String.UnicodeScalarView(body.map { Unicode.Scalar($0) }))
        }
        return String(decoding: body, as: UTF8.self)
    }
}

/// The crawler's own failures.
public enum CrawlError: Error, Sendable, CustomStringConvertible {
    /// A redirect chain from the URL ran past `--max-redirect`.
    case redirectLimit(from: String)
    /// A redirect whose `Location` is empty or not a URL.
    case unusableLocation

    /// One line saying what went wrong.
    public var description: String {
        switch self {
        case .redirectLimit(let url): "redirect limit reached (from \(url))"
        case .unusableLocation: "redirect without a usable Location"
        }
    }
}

extension Error {
    /// Connection errors and timeouts are retried; answers that were wrong are not.
    fileprivate var isWorthRetrying: Bool {
        if self is TorusError { return true }
        if let error = self as? HTTPClientError { return error == .timedOut || error == .connectionClosedEarly }
        return false
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { self / .seconds(1) }
}
