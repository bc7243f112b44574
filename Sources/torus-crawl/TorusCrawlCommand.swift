import ArgumentParser
import Foundation
import Logging
import Torus
import TorusCommandLine
import TorusCrawl
import TorusHTTP

extension Backend: ExpressibleByArgument {}

/// `torus-crawl`: the "500 Lines or Less" web crawler on Torus. Crawls from the roots,
/// then prints the chapter's report. SIGINT or SIGTERM stops the crawl (and the
/// self-test site, gracefully) without a report, and the process exits 0.
@main
struct TorusCrawlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torus-crawl",
        abstract: "Crawl web sites from the given roots (http only) and report every URL found."
    )

    /// Parses and runs with SIGPIPE ignored: a closed stdout fails a write, not the process.
    static func main() async { await mainIgnoringBrokenPipes() }

    /// Host matching, as the chapter's --strict / --lenient.
    enum HostMatching: String, EnumerableFlag {
        case strict, lenient

        static func help(for value: HostMatching) -> ArgumentHelp? {
            switch value {
            case .strict: "Hosts must equal a root's host but for a leading www."
            case .lenient: "Hosts must share a root's last two labels."
            }
        }
    }

    @Argument(help: "Root URLs; http:// is added when no scheme is given.")
    var roots: [String] = []

    @Option(help: "Concurrent workers (1...10000).")
    var maxTasks = 10

    @Option(help: "Redirects followed from one URL (0...100).")
    var maxRedirect = 10

    @Option(help: "Attempts per URL on connection errors and timeouts (1...100).")
    var maxTries = 4

    @Option(
        help:
            "Connections open at most (1...1000000; default and upper bound: the open-file limit less the descriptors open and 64 spare, halved with --self-test-site); further workers wait for one."
    )
    var maxConnections: Int?

    @Option(help: "Skip URLs matching this regular expression.")
    var exclude: String?

    @Flag(help: "Host matching.")
    var hostMatching: HostMatching = .strict

    @Flag(
        name: .shortAndLong,
        help:
            "More output on stderr (repeat for more): -v logs retries and redirects and prints progress as lines, -vv also the links found on each page."
    )
    var verbose: Int

    @Flag(name: .shortAndLong, help: "No progress line; log only URLs that failed every try.")
    var quiet = false

    @Option(help: "The reactor: io_uring, epoll or automatic.")
    var backend: Backend = .automatic

    @Option(help: "Seconds one request may take (more than 0, at most 86400).")
    var timeout: Double = 10

    @Option(help: "Queue at most this many URLs (1...100000000).")
    var maxPages: Int?

    @Option(help: "The largest body read, in bytes (1...17179869184, 16 GiB).")
    var maxBody = 10 << 20

    @Option(help: "Write the full result as JSON to this file.")
    var json: String?

    @Option(help: "Serve a generated site of this many pages (1...1000000, on a second loop) and crawl it.")
    var selfTestSite: Int?

    /// Every option in a range the crawl can use (``OptionCheck``): exit 64 with a
    /// message, never a trap (`--timeout nan`, `--self-test-site=-5`).
    func validate() throws {
        try OptionCheck.integer(maxTasks, "--max-tasks", in: 1...10_000)
        try OptionCheck.integer(maxRedirect, "--max-redirect", in: 0...100)
        try OptionCheck.integer(maxTries, "--max-tries", in: 1...100)
        if let maxConnections { try OptionCheck.integer(maxConnections, "--max-connections", in: 1...1_000_000) }
        try OptionCheck.seconds(timeout, "--timeout")
        if let maxPages { try OptionCheck.integer(maxPages, "--max-pages", in: 1...100_000_000) }
        try OptionCheck.integer(maxBody, "--max-body", in: 1...(16 << 30))
        if let selfTestSite { try OptionCheck.integer(selfTestSite, "--self-test-site", in: 1...1_000_000) }
        if let exclude {
            do {
                _ = try Regex(exclude)
            } catch {
                throw ValidationError("--exclude must be a regular expression, got \(exclude): \(error)")
            }
        }
        if roots.isEmpty && selfTestSite == nil { throw ValidationError("Give at least one root URL.") }
    }

    func run() async throws {
        // Installed first, so that a signal sent as soon as the site is announced is not lost.
        let signals = try SignalWaiter([SIGINT, SIGTERM])
        var loopConfiguration = EventLoop.Configuration()
        loopConfiguration.backend = backend
        loopConfiguration.threadName = "torus-crawl"
        var site: SiteServer?
        if let selfTestSite {
            let started = try await SiteServer.start(pages: selfTestSite, configuration: loopConfiguration)
            if !quiet {
                FileHandle.standardError.write(Data("torus-crawl: self-test site at \(started.rootURL)\n".utf8))
            }
            site = started
        }
        var configuration = Crawler.Configuration(roots: roots + (site.map { [$0.rootURL] } ?? []))
        configuration.maxTasks = maxTasks
        configuration.maxRedirect = maxRedirect
        configuration.maxTries = maxTries
        configuration.maxConnections = maxConnections
        // The site's server shares this process's descriptors, one per crawler
        // connection: the crawler gets half of them.
        if site != nil {
            configuration.maxConnections = min(maxConnections ?? .max, max(1, DescriptorBudget.connections() / 2))
        }
        configuration.exclude = exclude
        configuration.strict = hostMatching == .strict
        configuration.maxPages = maxPages
        configuration.client.timeout = Duration.milliseconds(Int((timeout * 1000).rounded(.up)))
        configuration.client.maxBodySize = maxBody
        var logger = Logger(label: "torus-crawl") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = quiet ? .error : verbose == 0 ? .warning : verbose == 1 ? .info : .debug
        configuration.logger = logger
        let progressMode: ProgressMode = quiet ? .off : verbose > 0 ? .lines : isatty(1) == 1 ? .terminal : .off
        let crawlConfiguration = configuration
        let crawling = Task {
            try await withEventLoop(configuration: loopConfiguration) { loop in
                let crawler = try Crawler(configuration: crawlConfiguration, loop: loop)
                let result = try await withProgress(progressMode, of: crawler) { try await crawler.crawl() }
                return (result, loop.backend)
            }
        }
        let stopper = Task { () -> Int32? in
            for await signal in signals.signals {
                crawling.cancel()
                return signal
            }
            return nil
        }
        let outcome = await crawling.result
        stopper.cancel()
        let signal = await stopper.value
        if let site { await site.stop() }
        if case .failure = outcome, let signal {
            FileHandle.standardError.write(Data("torus-crawl: stopped by signal \(signal)\n".utf8))
            return
        }
        let (result, backendUsed) = try outcome.get()
        for line in result.report() { print(line) }
        if let selfTestSite {
            let pages = Set(result.statistics.filter { $0.contentType == "text/html" }.map { $0.url })
            print(
                "Self-test: \(selfTestSite) pages, \(pages.count) found, each once: \(pages.count == result.statistics.count)"
                    + String(
                        format: "; %.0f pages/s (backend=%@, max_tasks=%d)", result.pagesPerSecond,
                        backendUsed.description, maxTasks))
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: json))
        }
    }
}

/// How progress is shown while crawling.
enum ProgressMode {
    case off
    /// One line, rewritten in place (stdout is a terminal).
    case terminal
    /// A new line each time (-v).
    case lines
}

/// Runs `body`, showing `crawler`'s progress every 200 ms meanwhile. Call on its loop.
func withProgress<Value: Sendable>(
    _ mode: ProgressMode, of crawler: Crawler, _ body: @Sendable () async throws -> Value
) async throws -> Value {
    if case .off = mode { return try await body() }
    let reporter = Task(executorPreference: crawler.loop) {
        while !Task.isCancelled {
            try await crawler.loop.sleep(for: .milliseconds(200))
            let line = crawler.progress.line
            print(mode == .terminal ? "\r\(line)\u{1B}[K" : line, terminator: mode == .terminal ? "" : "\n")
            fflush(nil)
        }
    }
    let result: Result<Value, any Error>
    do {
        result = .success(try await body())
    } catch {
        result = .failure(error)
    }
    reporter.cancel()
    _ = await reporter.result
    if mode == .terminal { print("\r\u{1B}[K", terminator: "") }
    return try result.get()
}
