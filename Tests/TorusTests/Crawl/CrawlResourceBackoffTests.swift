import Testing
import TorusCrawl

/// The back-off schedule of fetches that failed for want of descriptors or memory, and
/// the connection budget the open-file limit leaves.
@Suite(.descriptorGate) struct CrawlResourceBackoffTests {
    /// 10 ms doubling to 1 s, sixteen retries, 10.27 s in all; nil after.
    @Test func theDefaultScheduleDoublesToOneSecondSixteenTimes() {
        let backoff = ResourceBackoff()
        let delays = (1...16).compactMap { backoff.delay(beforeRetry: $0) }
        #expect(
            delays.map { $0 / .milliseconds(1) } == [10, 20, 40, 80, 160, 320, 640] + Array(repeating: 1000, count: 9))
        #expect(delays.reduce(.zero, +) == .milliseconds(10_270))
        #expect(backoff.delay(beforeRetry: 17) == nil)
        #expect(backoff.delay(beforeRetry: 0) == nil)
    }

    /// The three knobs are honoured: no retries at all, a cap that is not a power of two
    /// of the first wait, and a zero first wait (which stays zero).
    @Test func theScheduleFollowsItsConfiguration() {
        var backoff = ResourceBackoff()
        backoff.maxRetries = 0
        #expect(backoff.delay(beforeRetry: 1) == nil)
        backoff.maxRetries = 5
        backoff.initialDelay = .milliseconds(3)
        backoff.maxDelay = .milliseconds(20)
        #expect((1...6).map { backoff.delay(beforeRetry: $0) } == [3, 6, 12, 20, 20].map { .milliseconds($0) } + [nil])
        backoff.initialDelay = .zero
        #expect(backoff.delay(beforeRetry: 5) == .zero)
    }
}
