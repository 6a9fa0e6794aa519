#!/usr/bin/env bash
# Programs on the GPU, one run (called by scripts/gpu_suite.sh after its
# build; BUILD names the build directory):
#   1. clock_bench: steady_clock / system_clock::now() cost against the raw timer;
#   2. start-up: an empty GPU program through gpustd's entry point (and through
#      gpustd-run) against a plain CUDA program launching an empty kernel,
#      median of 11 runs each;
#   3. wordfreq on WORDFREQ_MIB (default 1024) MiB of text against the host
#      reference (one thread, a hash map), counts compared.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build-gpu}
out=${OUT:-gpu-out}
mkdir -p "$out"
status=0

$build/bench/clock_bench "$out/clock_bench.csv" > "$out/clock_bench.txt" 2>&1 || status=1

ms_now() { date +%s%N; }
median_ms() {  # command... : median wall time of 11 runs, ms
  local times=()
  for _ in $(seq 11); do
    local t0; t0=$(ms_now)
    "$@" > /dev/null 2>&1 || { echo "FAILED: $*" >&2; status=1; }
    times+=($(( ($(ms_now) - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 6p | awk '{printf "%.1f", $1 / 1000}'
}
{
  floor=$(median_ms $build/bench/empty_kernel)
  prog=$(median_ms $build/bench/empty_program)
  launcher=$(median_ms $build/gpustd-run $build/bench/empty_program)
  echo "start-up, median of 11 (ms): empty kernel from a host program $floor (floor);"
  echo "  empty GPU program $prog ($(awk -v a="$prog" -v b="$floor" 'BEGIN{printf "%.2f", a/b}')x);"
  echo "  the same through gpustd-run $launcher ($(awk -v a="$launcher" -v b="$floor" 'BEGIN{printf "%.2f", a/b}')x)"
} > "$out/startup.txt"

mib=${WORDFREQ_MIB:-1024}
dir=${FILES_DIR:-$PWD/$build}
text="$dir/wordfreq-input.txt"
{
  $build/bench/wordfreq_input "$text" $((mib << 20)) || status=1
  cat "$text" > /dev/null  # in the page cache for both
  t0=$(ms_now)
  (cd "$dir" && "$OLDPWD/$build/examples/wordfreq" -o "$dir/wordfreq-counts.csv" "$text") || status=1
  gpu_ms=$(( ($(ms_now) - t0) / 1000000 ))
  t0=$(ms_now)
  $build/bench/wordfreq_host "$text" "$dir/wordfreq-counts.csv" || status=1
  host_ms=$(( ($(ms_now) - t0) / 1000000 ))
  echo "wordfreq on $mib MiB: GPU program $gpu_ms ms (whole command), host reference $host_ms ms:" \
       "$(awk -v a="$host_ms" -v b="$gpu_ms" 'BEGIN{printf "%.1f", a/b}')x faster"
  rm -f "$text" "$dir/wordfreq-counts.csv"
} > "$out/wordfreq_bench.txt" 2>&1
exit $status
