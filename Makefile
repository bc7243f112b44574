# The two set-up commands (README): both install liburing-dev first when it is missing.
.PHONY: deps test bench

deps:
	@bash scripts/ensure-liburing.sh

# Runs the test suite: `swift test`.
test: deps
	swift test

# Builds in release and runs the benchmark suite.
bench: deps
	swift build -c release
	.build/release/torus-bench $(ARGS)
