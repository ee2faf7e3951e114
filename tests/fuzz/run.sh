#!/usr/bin/env bash
# tests/fuzz/run.sh - builds the fuzz targets with clang and libFuzzer and runs each for
# SECONDS (default 60) on its corpus (shipped scenarios and golden files seed the scenario
# target). New interesting inputs go to a scratch corpus under BUILD/, not the repository;
# a crash leaves crash-*/timeout-* files in BUILD/artifacts: copy each into
# tests/fuzz/corpus/NAME/ once fixed, so ctest replays it forever.
#   tests/fuzz/run.sh [SECONDS] [BUILD_DIR] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
build=${2:-build-fuzz}
shift $(( $# > 2 ? 2 : $# ))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(units scenario history record grid)
CC=clang cmake -S . -B "$build" -DMURPHY_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMURPHY_BUILD_BENCH=OFF > /dev/null
cmake --build "$build" -j2 --target $(printf 'fuzz_%s ' "${targets[@]}") > /dev/null
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
    scratch="$build/corpus-$t"
    mkdir -p "$scratch"
    seeds=("tests/fuzz/corpus/$t")
    [ "$t" = scenario ] && seeds+=(scenarios tests/golden)
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    echo "=== fuzz_$t for ${seconds}s"
    log="$build/fuzz-$t.log"
    if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$build/tests/fuzz/fuzz_$t" \
        "$scratch" "${seeds[@]}" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$build/artifacts/$t-" \
        -print_final_stats=1 > "$log" 2>&1; then
        tail -n 4 "$log"
    else
        tail -n 60 "$log"
        echo "=== fuzz_$t FAILED: see $log and $build/artifacts/"
        status=1
    fi
done
exit $status
