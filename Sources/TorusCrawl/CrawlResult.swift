import Foundation

/// A finished crawl: one statistic per URL, sorted by URL, and the timing. Its JSON
/// (`--json`) has the statistics, `elapsedSeconds`, `maxTasks`, `todo`, `counters`
/// and `pagesPerSecond`.
public struct CrawlResult: Sendable, Codable {
    /// What each URL gave.
    public var statistics: [FetchStatistic]
    /// The crawl's wall-clock time.
    public var elapsed: Duration
    /// The workers it ran.
    public var maxTasks: Int
    /// URLs still queued (0 after a complete crawl).
    public var todo: Int

    /// A result from its parts.
    public init(statistics: [FetchStatistic], elapsed: Duration, maxTasks: Int, todo: Int) {
        self.statistics = statistics
        self.elapsed = elapsed
        self.maxTasks = maxTasks
        self.todo = todo
    }

    private enum CodingKeys: String, CodingKey {
        case statistics, elapsedSeconds, maxTasks, todo, counters, pagesPerSecond
    }

    /// Decodes what ``encode(to:)`` wrote (the derived figures are recomputed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        statistics = try container.decode([FetchStatistic].self, forKey: .statistics)
        elapsed = .milliseconds(Int((try container.decode(Double.self, forKey: .elapsedSeconds) * 1000).rounded()))
        maxTasks = try container.decode(Int.self, forKey: .maxTasks)
        todo = try container.decode(Int.self, forKey: .todo)
    }

    /// Encodes the statistics, the timing in seconds, the counters and the rate.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(statistics, forKey: .statistics)
        try container.encode(elapsed.seconds, forKey: .elapsedSeconds)
        try container.encode(maxTasks, forKey: .maxTasks)
        try container.encode(todo, forKey: .todo)
        try container.encode(counters, forKey: .counters)
        try container.encode(pagesPerSecond, forKey: .pagesPerSecond)
    }

    /// URLs fetched per second.
    public var pagesPerSecond: Double { Double(statistics.count) / max(elapsed.seconds, 1e-9) }

    /// The counters the report prints: `fail`, `fail_<kind>`, `redirect`, `html`,
    /// `html_bytes`, `other`, `other_bytes`, `error`, `error_bytes`, `status_<code>`.
    public var counters: [String: Int] {
        var counters: [String: Int] = [:]
        for statistic in statistics {
            if let kind = statistic.errorKind {
                counters["fail", default: 0] += 1
                counters["fail_" + kind, default: 0] += 1
            } else if statistic.nextURL != nil {
                counters["redirect", default: 0] += 1
            } else if statistic.contentType == "text/html" {
                counters["html", default: 0] += 1
                counters["html_bytes", default: 0] += statistic.size
            } else if statistic.status == 200 {
                counters["other", default: 0] += 1
                counters["other_bytes", default: 0] += statistic.size
            } else {
                counters["error", default: 0] += 1
                counters["error_bytes", default: 0] += statistic.size
                counters["status_\(statistic.status.map(String.init) ?? "None")", default: 0] += 1
            }
        }
        return counters
    }

    /// The report as the chapter's `reporting.py` prints it, line by line; `date` is the
    /// `Date:` line's time.
    public func report(date: Date = Date()) -> [String] {
        var lines = ["*** Report ***"]
        for statistic in statistics { lines.append(Self.line(for: statistic)) }
        let speed = maxTasks > 0 ? pagesPerSecond / Double(maxTasks) : 0
        lines.append(
            "Finished \(statistics.count) urls in \(Self.fixed(elapsed.seconds)) secs (max_tasks=\(maxTasks)) "
                + "(\(Self.fixed(speed)) urls/sec/task)")
        for (key, count) in counters.sorted(by: { $0.key < $1.key }) {
            lines.append(String(repeating: " ", count: max(0, 10 - String(count).count)) + "\(count) \(key)")
        }
        lines.append("Todo: \(todo)")
        lines.append("Done: \(statistics.count)")
        lines.append("Date: \(date.formatted(.iso8601))")
        return lines
    }

    /// One URL's line: `url error ...`, `url status redirect next`, or
    /// `url status type encoding size [new/all]`.
    static func line(for statistic: FetchStatistic) -> String {
        let status = statistic.status.map(String.init) ?? "None"
        if let error = statistic.error { return "\(statistic.url) error \(error)" }
        if let next = statistic.nextURL { return "\(statistic.url) \(status) redirect \(next)" }
        let fields =
            "\(statistic.url) \(status) \(statistic.contentType ?? "None") \(statistic.encoding ?? "None") \(statistic.size)"
        return statistic.contentType == "text/html" ? fields + " \(statistic.numNewURLs)/\(statistic.numURLs)" : fields
    }

    private static func fixed(_ value: Double) -> String { String(format: "%.3f", value) }
}

/// A crawl in progress: what a live progress line shows.
public struct CrawlProgress: Sendable, Equatable {
    /// URLs finished.
    public var done: Int
    /// URLs waiting in the queue.
    public var queued: Int
    /// URLs being fetched.
    public var inFlight: Int
    /// URLs finished per second so far.
    public var pagesPerSecond: Double

    /// One line: `done 120, queued 40, in flight 10, 850.2 pages/s`.
    public var line: String {
        "done \(done), queued \(queued), in flight \(inFlight), \(String(format: "%.1f", pagesPerSecond)) pages/s"
    }
}
