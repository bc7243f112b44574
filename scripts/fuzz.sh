#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of Fuzz/ (their own package, with the fuzzer
# and AddressSanitizer) and runs each for FUZZ_SECONDS (default 60), starting from its
# committed inputs in Tests/TorusTests/FuzzInputs/<target>/. New corpus entries and any
# crashing input go to Fuzz/.build/fuzz-corpus/ (not committed). Fails if a target crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
# A trap is reported by libFuzzer; Swift's own backtracer would only make it slow.
export SWIFT_BACKTRACE=enable=no
swift build --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
bin="$(swift build --package-path Fuzz --show-bin-path -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)"
failed=()
for dir in Fuzz/Targets/*/; do
    target="$(basename "$dir")"
    scratch="Fuzz/.build/fuzz-corpus/$target"
    mkdir -p "$scratch"
    echo "== fuzz-$target: ${seconds} s"
    log="$scratch.log"
    if "$bin/fuzz-$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$scratch-" \
        "$scratch" "Tests/TorusTests/FuzzInputs/$target" >"$log" 2>&1; then
        grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1
        grep -E '^stat::number_of_executed_units' "$log" || true
    else
        failed+=("$target")
        tail -40 "$log"
        echo "== fuzz-$target FAILED: crashing input in $scratch-*"
    fi
done
if ((${#failed[@]})); then
    echo "fuzz: crashes in ${failed[*]}"
    exit 1
fi
echo "fuzz: no crash in $(ls -d Fuzz/Targets/*/ | wc -l) targets, ${seconds} s each"
