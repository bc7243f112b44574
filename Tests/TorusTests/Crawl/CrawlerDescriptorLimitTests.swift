import Foundation
import Glibc
import Testing
import Torus
import TorusHTTP

@testable import TorusCrawl

/// The crawler at the open-file limit: more workers than descriptors, and descriptors
/// that run out for a while.
@Suite(.serialized, .descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct CrawlerDescriptorLimitTests {
    /// Run alone, in one hold of the descriptor gate (each exclusive hold stalls the
    /// tests queued behind it, so there is one per backend): with the soft limit lowered
    /// or every free descriptor taken, no page is lost.
    ///
    /// 1. 500 pages, 200 workers, a soft limit 150 above the descriptors open: the
    ///    connections are capped (half the budget, as the server shares the process),
    ///    the workers beyond the cap wait, and every page is fetched once, none failing.
    /// 2. Every free descriptor taken for 150 ms as a crawl starts: its first fetch fails
    ///    with EMFILE, is retried after the back-off instead of at once, and succeeds
    ///    once the descriptors are back; both pages are fetched, neither fails.
    @Test(arguments: TestBackend.allCases)
    func atTheOpenFileLimitNoPageIsLost(_ backend: TestBackend) async throws {
        let site = GeneratedSite(pages: 500)
        let (result, lines) = try await withTestLoop(backend, access: .exclusive) { loop in
            (try await crawlWithMoreWorkersThanDescriptors(site), try await crawlWhileDescriptorsRunOut(on: loop))
        }
        let paths = result.statistics.map { URL(string: $0.url)!.path }
        #expect(paths.count == 500)
        #expect(Set(paths) == Set((0..<500).map { "/page/\($0)" }))
        #expect(result.counters["fail"] == nil, "\(result.statistics.compactMap(\.error).prefix(3))")
        #expect(result.statistics.allSatisfy { $0.status == 200 && $0.contentType == "text/html" })
        #expect(result.todo == 0)
        #expect(lines == [htmlLine("/", "<a href='/a'>", new: 1, all: 1), htmlLine("/a", "", new: 0, all: 0)])
    }

    /// The budget is the limit less the descriptors open and the headroom, never below
    /// one connection, and never overflows for an unlimited limit.
    @Test func theBudgetLeavesHeadroomAndAtLeastOneConnection() {
        #expect(DescriptorBudget.connections(softLimit: 1024, open: 10) == 1024 - 10 - DescriptorBudget.headroom)
        #expect(DescriptorBudget.connections(softLimit: 50, open: 10) == 1)
        #expect(DescriptorBudget.connections(softLimit: .max, open: 10) == .max - 10 - DescriptorBudget.headroom)
    }

    /// `torus-crawl` under `ulimit -n 256` with 400 workers crawls a 1,000-page
    /// self-test site completely: every page once, no failure, the cap logged once.
    @Test func theCommandAtALowLimitFetchesEveryPage() async throws {
        // `timeout` bounds the child: the pipe is read to its end before it is waited for.
        let (output, status, errors) = try await withDescriptorGate {
            let crawl = try ServerProcess([
                "/bin/sh", "-c", "ulimit -n 256 && exec timeout 30 \"$0\" \"$@\"",
                ChildProcess.productsDirectory + "/torus-crawl", "--self-test-site=1000", "--max-tasks=400",
            ])
            let output = await crawl.readOutput()
            let (status, errors) = await crawl.waitForExit()
            return (output, status, errors)
        }
        #expect(status == 0, "\(errors.suffix(400))")
        #expect(output.contains("Self-test: 1000 pages, 1000 found, each once: true"), "\(output.suffix(400))")
        #expect(!output.contains(" fail"), "\(output.suffix(400))")
        #expect(errors.components(separatedBy: "max_tasks=400 but at most").count == 2, "\(errors.suffix(400))")
    }
}

/// Crawls `site` with 200 workers under a soft limit 150 above the descriptors open,
/// the crawler's connections capped at half the budget (the server shares the process).
/// Hold the descriptor gate exclusively.
private func crawlWithMoreWorkersThanDescriptors(_ site: GeneratedSite) async throws -> CrawlResult {
    try await withOpenFileSoftLimit(rlim_t(DescriptorBudget.openDescriptors() + 150)) {
        try await crawlTestServer(
            roots: [site.rootPath],
            configure: { configuration, _ in
                configuration.maxTasks = 200
                configuration.maxConnections = DescriptorBudget.connections() / 2
            }
        ) { path in site.response(for: path) }.result
    }
}

/// Crawls a two-page site with every free descriptor taken for the first 150 ms; returns
/// the report's URL lines. Hold the descriptor gate exclusively.
private func crawlWhileDescriptorsRunOut(on loop: EventLoop) async throws -> [String] {
    try await withOpenFileSoftLimit(rlim_t(lowestFreeDescriptor() + 64)) {
        try await crawlTestServer(
            configure: { _, _ in
                let held = LoopConfined(takeEveryFreeDescriptor(), on: loop)
                Task(executorPreference: loop) {
                    try? await loop.sleep(for: .milliseconds(150))
                    for fd in held.value { close(fd) }
                }
            }, pages(["/": "<a href='/a'>", "/a": ""])
        ).lines
    }
}

/// Duplicates stdin's descriptor until the open-file limit refuses; returns the copies.
private func takeEveryFreeDescriptor() -> [Int32] {
    var held: [Int32] = []
    while case let fd = dup(0), fd >= 0 { held.append(fd) }
    return held
}
