import Glibc

/// How many times longer than usual a test's wall-clock margins are: the integer in
/// `TORUS_TEST_TIME_SCALE` (`make test-tsan` and `make test-asan` set it, as code under a
/// sanitizer runs several times slower), 1 when it is unset or not a positive integer.
///
/// Only margins scale (a client's timeout that a slow but correct run must not hit, a
/// timer the test expects to fire after something else, a suite's time limit of this
/// many minutes); what a test checks does not.
let testTimeScale: Int = {
    guard let value = getenv("TORUS_TEST_TIME_SCALE"), let scale = Int(String(cString: value)), scale > 0 else {
        return 1
    }
    return min(scale, 100)
}()

extension Duration {
    /// This duration times ``testTimeScale``: a margin that grows with a slower build.
    var scaled: Duration { self * testTimeScale }
}
