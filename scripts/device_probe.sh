set -u
export PATH=/usr/local/cuda/bin:$PATH
source scripts/fmt_deps.sh
lscpu | grep -E "Model name|MHz|^CPU\(s\)" | head -4
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DGPUSTD_CUDA=ON -DGPUSTD_GPU_TESTS=ON "${cmake_prefix[@]}" -DCMAKE_CUDA_ARCHITECTURES=90 > $OUT/configure.log 2>&1 || { tail -20 $OUT/configure.log; exit 1; }
timeout 400 cmake --build build-gpu -j16 --target hostcall_bench cpu_bench > $OUT/build.log 2>&1 || { grep -E "error" -A3 $OUT/build.log | head -40; exit 1; }
echo "built at $SECONDS s"
timeout 60 build-gpu/bench/cpu_bench --benchmark_filter='ServerServes' --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>&1 | grep -E "median"
for th in 8 15; do echo "== server threads $th"; timeout 90 build-gpu/bench/hostcall_bench "" $th 2>&1 | tail -16; done
