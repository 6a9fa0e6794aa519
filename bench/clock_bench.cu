// GPU benchmark of the device clocks, in one run, against the floor of
// reading the device timer itself (%globaltimer) and the null hostcall:
//
//   clock_bench [csv_path]
//
// ns per call of steady_clock::now() and system_clock::now(), from one
// thread in a loop and from every resident thread at once (each thread's
// time per call). The target: both under 100 ns, with no hostcall (system
// clock's refresh costs one round trip per 50 ms, all threads together).
#include <gpustd/gpustd.h>

#include <cstdio>
#include <string>

#include "cuda_check.h"

namespace {

__device__ inline unsigned long long raw_timer() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// kind 0: the raw timer, 1: steady_clock, 2: system_clock, 3: null hostcall.
// Each thread times its own loop; out[thread] = ns per call; sink keeps the
// reads alive. A kernel per kind, so that no loop carries the others' code.
template <int kind>
__global__ void __launch_bounds__(256) clock_loop(unsigned n, double* out, unsigned long long* sink) {
  unsigned long long acc = 0;
  const unsigned long long t0 = raw_timer();
  for (unsigned i = 0; i < n; ++i) {
    if constexpr (kind == 0) acc += raw_timer();
    else if constexpr (kind == 1) acc += gpustd::chrono::steady_clock::now().time_since_epoch().count();
    else if constexpr (kind == 2) acc += gpustd::chrono::system_clock::now().time_since_epoch().count();
    else acc += gpustd::null_call();
  }
  const unsigned long long t1 = raw_timer();
  const unsigned t = blockIdx.x * blockDim.x + threadIdx.x;
  out[t] = static_cast<double>(t1 - t0) / n;
  if (acc == 42) sink[0] = acc;
}

// How often one thread's system_clock::now() took a new copy of the
// offset (the slow path) in n calls: the block's copy changes.
__global__ void system_clock_readings(unsigned n, unsigned long long* out) {
  auto& mine = gpustd::chrono::detail::own_clock();
  unsigned long long readings = 0, acc = 0;
  const unsigned long long t0 = raw_timer();
  for (unsigned i = 0; i < n; ++i) {
    const std::uint64_t before = mine.copied_at;
    acc += gpustd::chrono::system_clock::now().time_since_epoch().count();
    readings += mine.copied_at != before;
  }
  out[0] = readings;
  out[1] = raw_timer() - t0;
  if (acc == 42) out[2] = acc;
}

}  // namespace

int main(int argc, char** argv) {
  gpustd::runtime rt;
  int dev = 0, sms = 0;
  CHECK(cudaGetDevice(&dev));
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  int per_sm = 0;
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, clock_loop<3>, 256, 0));
  const unsigned blocks = static_cast<unsigned>(sms * per_sm);
  const unsigned threads = blocks * 256;
  double* out = nullptr;
  unsigned long long* sink = nullptr;
  CHECK(cudaMallocManaged(&out, threads * sizeof(double)));
  CHECK(cudaMallocManaged(&sink, sizeof(unsigned long long)));
  void (*const kernels[])(unsigned, double*, unsigned long long*) = {clock_loop<0>, clock_loop<1>, clock_loop<2>,
                                                                    clock_loop<3>};
  const char* names[] = {"globaltimer (floor)", "steady_clock::now", "system_clock::now", "null hostcall"};
  std::FILE* csv = argc > 1 ? std::fopen(argv[1], "w") : nullptr;
  if (csv) std::fprintf(csv, "what,one_thread_ns,all_threads_ns,threads\n");
  std::printf("clock_bench: ns per call (each thread's own loop), %u threads at full GPU\n", threads);
  std::printf("%-22s %14s %14s\n", "", "one thread", "every thread");
  for (int kind = 0; kind < 4; ++kind) {
    const unsigned n_one = kind == 3 ? 2000 : 1'000'000;
    const unsigned n_all = kind == 3 ? 20 : 20'000;
    kernels[kind]<<<1, 1>>>(n_one / 10, out, sink);  // warm-up (and the first clock measurement)
    CHECK(cudaDeviceSynchronize());
    kernels[kind]<<<1, 1>>>(n_one, out, sink);
    rt.synchronize();
    const double one = out[0];
    kernels[kind]<<<blocks, 256>>>(n_all, out, sink);
    rt.synchronize();
    double sum = 0, worst = 0;
    for (unsigned t = 0; t < threads; ++t) {
      sum += out[t];
      worst = out[t] > worst ? out[t] : worst;
    }
    std::printf("%-22s %14.1f %14.1f (worst thread %.1f)\n", names[kind], one, sum / threads, worst);
    if (csv) std::fprintf(csv, "%s,%.2f,%.2f,%u\n", names[kind], one, sum / threads, threads);
  }
  if (csv) std::fclose(csv);
  unsigned long long* readings = nullptr;
  CHECK(cudaMallocManaged(&readings, 3 * sizeof(unsigned long long)));
  system_clock_readings<<<1, 1>>>(100000, readings);
  CHECK(cudaDeviceSynchronize());
  std::printf("system_clock: %llu new copies of the offset in 100000 calls (%.1f ns per call with the count)\n",
              readings[0], readings[1] / 1e5);
  std::printf("hostcalls served during the run: %llu\n", static_cast<unsigned long long>(rt.stats().requests));
  return 0;
}
