#!/usr/bin/env bash
# The GPU suite, for a machine with a GPU: builds for sm_90 (or $CUDA_ARCH),
# runs the GPU tests (also under CUDA_LAUNCH_BLOCKING=1), the CPU tests,
# the examples and the GPU benchmarks (scripts/program_bench.sh among them),
# and prints a short table at the end. SKIP_BENCH=console,files,hostcall,services
# leaves those benchmarks out (to save device time).
# Logs go to $OUT (or ./gpu-out) when set.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-out}
mkdir -p "$out"
arch=${CUDA_ARCH:-90}
build=build-gpu
export PATH=/usr/local/cuda/bin:$PATH

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
source scripts/fmt_deps.sh
cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release -DGPUSTD_CUDA=ON -DGPUSTD_GPU_TESTS=ON "${cmake_prefix[@]}" \
  -DCMAKE_CUDA_ARCHITECTURES="$arch" > "$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
cmake --build $build -j"$(nproc)" > "$out/build.log" 2>&1 || { grep -E "error" -A3 "$out/build.log" | head -60; exit 1; }

status=0
(cd $build && ctest -L gpu --output-on-failure --timeout 300) > "$out/gpu-tests.log" 2>&1 || status=1
(cd $build && CUDA_LAUNCH_BLOCKING=1 ./tests/e2e_gpu_test --gtest_filter='*NullCall*:*Divergent*:*FireAndForget*:*Stream*') \
  > "$out/gpu-tests-launch-blocking.log" 2>&1 || status=1
(cd $build && CUDA_LAUNCH_BLOCKING=1 ./tests/files_gpu_test --gtest_filter='*Bulk*:*Pwrite*') \
  >> "$out/gpu-tests-launch-blocking.log" 2>&1 || status=1
# (Spans: without DMA, large in_spans go in the request, out_spans through the return area.)
(cd $build && CUDA_LAUNCH_BLOCKING=1 ./tests/hostcall_gpu_test --gtest_filter='*Span*:*Return*:*Scalar*:*Queued*') \
  >> "$out/gpu-tests-launch-blocking.log" 2>&1 || status=1
(cd $build && ctest -LE gpu --timeout 300) > "$out/cpu-tests.log" 2>&1 || status=1
$build/bench/gpu_bench "$out/gpu_bench.csv" > "$out/gpu_bench.txt" 2>&1 || status=1
# Full GPU only, 20 runs of each kind with the default host threads: the
# medians of separate sets (the table takes 5 rounds in turns; the machines
# have slow spells in which the floor itself falls; docs/benchmarks.md).
threads=$(awk -F'N=' '/host threads N=/{print $2+0; exit}' "$out/gpu_bench.txt")
medians() { awk '/warp-calls/{print $(NF-2)}' | sort -n | awk '{a[NR]=$1} END{if (NR) printf "%.1f (p25 %.1f, p75 %.1f)", a[int(NR/2)+1], a[int(NR/4)+1], a[int(3*NR/4)+1]}'; }
{
  blk=$(GPUSTD_BENCH_ONLY=full:${threads:-8} $build/bench/gpu_bench 2>&1 | medians)
  ff=$(GPUSTD_BENCH_ONLY=ff:${threads:-8} $build/bench/gpu_bench 2>&1 | medians)
  echo "every warp resident, ${threads:-8} host threads, medians of 20 runs (M warp-calls/s):"
  echo "  blocking $blk; fire-and-forget $ff; ff/blk $(awk -v a="${ff%% *}" -v b="${blk%% *}" 'BEGIN{if (b > 0) printf "%.2f", a / b}')"
  # The one-thread and N-thread ff/blk as pairs of runs in turns (gpu_bench pair:T).
  GPUSTD_BENCH_ONLY=pair:1 $build/bench/gpu_bench 2>&1 | tail -1
  GPUSTD_BENCH_ONLY=pair:${threads:-8} $build/bench/gpu_bench 2>&1 | tail -1
} > "$out/gpu_bench_medians.txt" 2>&1 || status=1
$build/bench/channel_anatomy > "$out/channel_anatomy.txt" 2>&1 || status=1
$build/bench/pingpong_variants > "$out/pingpong_variants.txt" 2>&1 || status=1
$build/bench/link_write_probe > "$out/link_write_probe.txt" 2>&1 || status=1
skip=",${SKIP_BENCH:-},"
[[ $skip == *,console,* ]] || $build/bench/console_bench "${CONSOLE_LINES:-100000000}" "$out/console_bench.csv" > "$out/console_bench.txt" 2>&1 || status=1
[[ $skip == *,hostcall,* ]] || $build/bench/hostcall_bench "$out/hostcall_bench.csv" > "$out/hostcall_bench.txt" 2>&1 || status=1
[[ $skip == *,services,* ]] || $build/bench/services_bench "$out/services_bench.csv" > "$out/services_bench.txt" 2>&1 || status=1
files_dir=${FILES_DIR:-$PWD/$build}
df -hT "$files_dir" | tail -1 > "$out/files_fs.txt"
[[ $skip == *,files,* ]] || $build/bench/files_bench "$files_dir" "${FILES_GIB:-4}" "$out/files_bench.csv" > "$out/files_bench.txt" 2>&1 || status=1
BUILD=$build OUT=$out FILES_DIR=$files_dir bash scripts/program_bench.sh || status=1

echo "== GPU suite =="
grep -E "tests passed|FAILED|Failed" "$out/gpu-tests.log" | head -20
grep -hE "^(stress|sandbox|system_clock):" $build/Testing/Temporary/LastTest.log 2>/dev/null | sort -u | head -12
echo "== GPU suite, CUDA_LAUNCH_BLOCKING=1 =="
grep -E "PASSED|FAILED" "$out/gpu-tests-launch-blocking.log" | head -10
echo "== CPU suite on this machine =="
grep -E "tests passed|FAILED|Failed" "$out/cpu-tests.log" | head -10
echo "== benchmark =="
cat "$out/gpu_bench.txt"
cat "$out/gpu_bench_medians.txt"
echo "== channel anatomy (primitives, no runtime) =="
cat "$out/channel_anatomy.txt"
echo "== ping-pong variants (no runtime) =="
cat "$out/pingpong_variants.txt"
echo "== the link's posted writes (no runtime) =="
cat "$out/link_write_probe.txt"
echo "== console benchmark =="
cat "$out/console_bench.txt" 2>/dev/null
echo "== typed hostcall benchmark =="
cat "$out/hostcall_bench.txt" 2>/dev/null
echo "== built-in console write against a typed hostcall =="
cat "$out/services_bench.txt" 2>/dev/null
echo "== files benchmark (filesystem: $(cat "$out/files_fs.txt")) =="
cat "$out/files_bench.txt" 2>/dev/null
echo "== programs: clocks, start-up, wordfreq =="
cat "$out/clock_bench.txt" "$out/startup.txt" "$out/wordfreq_bench.txt"
exit $status
