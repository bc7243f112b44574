# The two set-up commands (README): both install liburing-dev first when it is missing;
# `make bench` also installs the reference tools (nginx, wrk, fio).
.PHONY: deps bench-tools test bench fuzz test-asan test-tsan

deps:
	@bash scripts/ensure-liburing.sh

bench-tools:
	@bash scripts/ensure-bench-tools.sh

# Runs the test suite: `swift test`.
test: deps
	swift test

# The whole suite under AddressSanitizer / ThreadSanitizer, each in its own scratch path
# (the programs the tests start, torus-bench and torus-crawl, are found beside the test
# bundle, so they come from the sanitized build too). halt_on_error: the first report
# ends the run with a failure, so a green run means no report at all. Swift's crash
# backtracer is off: its handler for the sanitizer's abort can hang in the sanitizer's
# fork lock. scripts/sanitizers/ holds the suppressions (LeakSanitizer's, ThreadSanitizer's), each for code outside Torus
# with its reason. TORUS_TEST_TIME_SCALE stretches the tests' wall-clock margins (a client's
# timeout, a timer that must fire after something else) for the slower code.
SANITIZED_TEST = SWIFT_BACKTRACE=enable=no swift test --skip-build

test-asan: deps
	swift build --build-tests --sanitize=address --scratch-path .build-asan
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/sanitizers/lsan.supp \
	  TORUS_TEST_TIME_SCALE=3 \
	  $(SANITIZED_TEST) --sanitize=address --scratch-path .build-asan $(ARGS)

test-tsan: deps
	swift build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS=halt_on_error=1:suppressions=$(CURDIR)/scripts/sanitizers/tsan.supp TORUS_TEST_TIME_SCALE=10 \
	  $(SANITIZED_TEST) --sanitize=thread --scratch-path .build-tsan $(ARGS)

# Builds in release and runs the benchmark suite; /usr/sbin on PATH, where Debian puts
# nginx (a non-root PATH leaves it out).
bench: deps bench-tools
	swift build -c release
	PATH="$$PATH:/usr/sbin" .build/release/torus-bench $(ARGS)

# Runs every libFuzzer target (Fuzz/) for FUZZ_SECONDS each (60 by default); fails on a
# crash or a broken invariant. `make fuzz FUZZ_SECONDS=10` for a short run.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh
