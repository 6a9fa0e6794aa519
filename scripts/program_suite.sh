#!/usr/bin/env bash
# The programs part of the GPU suite alone (to save device time after a
# change to programs, clocks or wordfreq): builds what it needs, runs the
# program, process and wordfreq GPU tests and scripts/program_bench.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-out}
mkdir -p "$out"
build=build-gpu
export PATH=/usr/local/cuda/bin:$PATH
source scripts/fmt_deps.sh
cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release -DGPUSTD_CUDA=ON "${cmake_prefix[@]}" \
  -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90}" > "$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
cmake --build $build -j"$(nproc)" --target program_gpu_test process_gpu_test wordfreq_gpu_test test_programs \
  no_main_program wordfreq wordfreq_cpu gpustd-run clock_bench empty_kernel empty_program wordfreq_input wordfreq_host \
  > "$out/build.log" 2>&1 || { grep -E "error" -A3 "$out/build.log" | head -60; exit 1; }
status=0
for t in program_gpu_test process_gpu_test wordfreq_gpu_test; do
  $build/tests/$t > "$out/$t.log" 2>&1 || status=1
  echo "$t: $(grep -E "PASSED|FAILED" "$out/$t.log" | tr '\n' ' ')"
done
grep -h "system_clock: worst" "$out/process_gpu_test.log"
BUILD=$build OUT=$out bash scripts/program_bench.sh || status=1
cat "$out/clock_bench.txt" "$out/startup.txt" "$out/wordfreq_bench.txt"
exit $status
