# The two set-up commands (README): both install liburing-dev first when it is missing;
# `make bench` also installs the reference tools (nginx, wrk, fio).
.PHONY: deps bench-tools test bench fuzz

deps:
	@bash scripts/ensure-liburing.sh

bench-tools:
	@bash scripts/ensure-bench-tools.sh

# Runs the test suite: `swift test`.
test: deps
	swift test

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
