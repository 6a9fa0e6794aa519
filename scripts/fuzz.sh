#!/usr/bin/env bash
# Builds the libFuzzer target (tests/fuzz/channel_fuzz.cpp) with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs it for
# FUZZ_SECONDS (default 60) from the corpus in tests/fuzz/corpus (copied:
# the repository's corpus changes only when someone commits new inputs).
# Exits non-zero on any report (crash, sanitizer error, hang, leak).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
if ! command -v clang++ > /dev/null; then
  echo "fuzz: clang++ not found (Debian: clang, libclang-rt-14-dev)" >&2
  exit 1
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGPUSTD_CUDA=OFF -DGPUSTD_FUZZ=ON \
  -DGPUSTD_SANITIZE=address,undefined -DGPUSTD_TESTS=OFF -DGPUSTD_BENCHMARKS=OFF -DGPUSTD_EXAMPLES=OFF > /dev/null
cmake --build build-fuzz -j"$(nproc 2>/dev/null || echo 2)" --target channel_fuzz > /dev/null
work=$(mktemp -d)
cp tests/fuzz/corpus/* "$work"/ 2> /dev/null || true
log=build-fuzz/fuzz.log
status=0
ASAN_OPTIONS=detect_leaks=1 build-fuzz/channel_fuzz -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
  -print_final_stats=1 -artifact_prefix=build-fuzz/ "$work" > "$log" 2>&1 || status=$?
runs=$(grep -E "^stat::number_of_executed_units" "$log" | awk '{print $2}')
new=$(ls "$work" | wc -l)
rm -rf "$work"
if [ $status -ne 0 ]; then
  tail -40 "$log"
  echo "fuzz: FAILED after ${runs:-?} executions: see build-fuzz/ for the input that did it"
  exit 1
fi
echo "fuzz: ${runs:-0} executions in ${seconds} s, 0 reports (corpus: $new inputs)"
