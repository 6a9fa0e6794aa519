// GPU benchmark of typed hostcalls, in one run, against the null call (the
// channel's own cost) measured in the same process:
//
//   hostcall_bench [csv_path [server_threads [future_slots]]]
//
// - latency, one warp (32 lanes) and one lane: gpustd::call<add2>(a, b), a
//   typed call with two scalar arguments, against gpustd::null_call(),
//   median of per-call times from the device timer;
// - throughput, every resident warp calling in a loop: typed against null
//   (M warp-calls/s; the kinds take turns, median of 5 runs each; the same
//   for one warp, median of 3);
// - asynchronous calls, one warp and every resident warp: 8 calls in
//   flight per thread, as 8 futures (async_call x 8, then get x 8) and as
//   one gpustd::async_batch of 8, against blocking calls;
// - at full GPU, how many lanes of a warp reach each async_call together
//   (the lanes of a warp that split apart send a batch each);
// - the floor of these targets (typed_floor.h): the bare ping-pong with
//   and without a warp's arguments, and with eight calls a lane in one
//   request, the same host threads as the runtime's, in turns.
#include <gpustd/gpustd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda_check.h"
#include "typed_floor.h"

GPUSTD_HOSTCALL(add2, int(int a, int b));

namespace {

__device__ inline unsigned long long now_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// kind 0: null call, 1: typed call
__global__ void latency(int kind, unsigned lanes, unsigned n, unsigned long long* ns, unsigned* bad) {
  if (threadIdx.x >= lanes) return;
  unsigned b = 0;
  for (unsigned i = 0; i < n; ++i) {
    const unsigned long long t0 = now_ns();
    if (kind == 0) b += gpustd::null_call() != 0;
    else b += gpustd::call<add2>(static_cast<int>(i), 1).value_or(-1) != static_cast<int>(i) + 1;
    __syncwarp(__activemask());
    if (threadIdx.x == 0) ns[i] = now_ns() - t0;
  }
  if (b) atomicAdd(bad, b);
}

// kind 0: null, 1: typed blocking, 3: typed blocking with the same
// arguments in every lane (the host answers the warp in its answer word:
// no lane reads a status of its own; tells the host's per-lane cost from
// the device's reads of the answers)
__global__ void __launch_bounds__(256) calls(int kind, unsigned n, unsigned* bad) {
  unsigned b = 0;
  const int t = static_cast<int>(threadIdx.x);
  if (kind == 0) {
    for (unsigned i = 0; i < n; ++i) b += gpustd::null_call() != 0;
  } else if (kind == 3) {
    for (unsigned i = 0; i < n; ++i) b += gpustd::call<add2>(1, static_cast<int>(i)).value_or(-1) != 1 + static_cast<int>(i);
  } else {
    for (unsigned i = 0; i < n; ++i) b += gpustd::call<add2>(t, static_cast<int>(i)).value_or(-1) != t + static_cast<int>(i);
  }
  if (b) atomicAdd(bad, b);
}

// Typed async, 8 in flight. (A kernel of its own, so that its registers do
// not lower the occupancy the null and typed calls are measured at.)
__global__ void __launch_bounds__(256) async_calls(int, unsigned n, unsigned* bad) {
  unsigned b = 0;
  const int t = static_cast<int>(threadIdx.x);
  for (unsigned i = 0; i < n; i += 8) {
    gpustd::hostcall_future<int> f[8];
    for (int k = 0; k < 8; ++k) f[k] = gpustd::async_call<add2>(t, static_cast<int>(i) + k);
    for (int k = 0; k < 8; ++k) b += f[k].get().value_or(-1) != t + static_cast<int>(i) + k;
  }
  if (b) atomicAdd(bad, b);
}

// Each call and each get through one out-of-line function (one copy of
// the code, used 8 times, rather than 8 inlined copies).
__device__ __noinline__ void queue_add2(gpustd::hostcall_future<int>& f, int a, int b) {
  f = gpustd::async_call<add2>(a, b);
}
__device__ __noinline__ int get_add2(gpustd::hostcall_future<int>& f) { return f.get().value_or(-1); }

// The same, step by step (clock64 cycles summed by lane 0): step[k] the
// k-th async_call (k = 0 takes a group of cells, k = 7 sends the batch),
// step[8 + k] the k-th get; inlined, or out of line (above).
template <bool out_of_line>
__global__ void async_steps(unsigned n, unsigned long long* step, unsigned* bad) {
  unsigned b = 0;
  const int t = static_cast<int>(threadIdx.x);
  unsigned long long p[16] = {};
  for (unsigned i = 0; i < n; i += 8) {
    gpustd::hostcall_future<int> f[8];
    long long c = clock64();
#pragma unroll
    for (int k = 0; k < 8; ++k) {
      if constexpr (out_of_line) queue_add2(f[k], t, static_cast<int>(i) + k);
      else f[k] = gpustd::async_call<add2>(t, static_cast<int>(i) + k);
      const long long d = clock64();
      p[k] += d - c;
      c = d;
    }
#pragma unroll
    for (int k = 0; k < 8; ++k) {
      const int v = out_of_line ? get_add2(f[k]) : f[k].get().value_or(-1);
      b += v != t + static_cast<int>(i) + k;
      const long long d = clock64();
      p[8 + k] += d - c;
      c = d;
    }
  }
  if (t == 0)
    for (int k = 0; k < 16; ++k) step[k] = p[k];
  if (b) atomicAdd(bad, b);
}

// The same 8 calls in flight as one gpustd::async_batch a thread. (A
// kernel of its own, as above.)
__global__ void __launch_bounds__(256) batch_calls(int, unsigned n, unsigned* bad) {
  unsigned b = 0;
  const int t = static_cast<int>(threadIdx.x);
  for (unsigned i = 0; i < n; i += 8) {
    gpustd::async_batch<add2> batch;
    for (int k = 0; k < 8; ++k) batch.add(t, static_cast<int>(i) + k);
    for (int k = 0; k < 8; ++k) b += batch.get(static_cast<unsigned>(k)).value_or(-1) != t + static_cast<int>(i) + k;
  }
  if (b) atomicAdd(bad, b);
}

// batch_calls' loop, step by step (clock64 cycles summed by lane 0):
// step[0] the 8 adds, [1] send, [2] the first get (waits for the answers),
// [3] the other 7 gets, [4] the batch's end (its destructor).
__global__ void batch_steps(unsigned n, unsigned long long* step, unsigned* bad) {
  unsigned b = 0;
  const int t = static_cast<int>(threadIdx.x);
  unsigned long long p[5] = {};
  for (unsigned i = 0; i < n; i += 8) {
    long long c = clock64(), d;
    {
      gpustd::async_batch<add2> batch;
#pragma unroll
      for (int k = 0; k < 8; ++k) batch.add(t, static_cast<int>(i) + k);
      d = clock64(), p[0] += d - c, c = d;
      batch.send();
      d = clock64(), p[1] += d - c, c = d;
      b += batch.get(0).value_or(-1) != t + static_cast<int>(i);
      d = clock64(), p[2] += d - c, c = d;
#pragma unroll
      for (int k = 1; k < 8; ++k) b += batch.get(static_cast<unsigned>(k)).value_or(-1) != t + static_cast<int>(i) + k;
      d = clock64(), p[3] += d - c, c = d;
    }
    d = clock64(), p[4] += d - c;
  }
  if (t == 0)
    for (int k = 0; k < 5; ++k) step[k] = p[k];
  if (b) atomicAdd(bad, b);
}

// The async_calls kernel's loop with a count, at each async_call, of the
// lanes that reach it together (__activemask): counts[n] += n for a group
// of n lanes; the first 8 calls (when every warp starts whole) apart from
// the later ones. Tells whether a warp's calls still go as one request.
__global__ void __launch_bounds__(256) async_together(unsigned n, unsigned* counts, unsigned* bad) {
  unsigned b = 0;
  const int t = static_cast<int>(threadIdx.x);
  for (unsigned i = 0; i < n; i += 8) {
    unsigned* c = counts + (i == 0 ? 0 : 33);
    gpustd::hostcall_future<int> f[8];
    for (int k = 0; k < 8; ++k) {
      atomicAdd(&c[__popc(__activemask())], 1u);
      f[k] = gpustd::async_call<add2>(t, static_cast<int>(i) + k);
    }
    for (int k = 0; k < 8; ++k) b += f[k].get().value_or(-1) != t + static_cast<int>(i) + k;
  }
  if (b) atomicAdd(bad, b);
}

double median(std::vector<unsigned long long> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2] / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  const char* csv_path = argc > 1 && argv[1][0] ? argv[1] : nullptr;  // ("": none)
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  gpustd::runtime_options options;
  if (argc > 2) options.server_threads = static_cast<unsigned>(std::atoi(argv[2]));  // (0: the default)
  if (argc > 3) options.future_slots = static_cast<unsigned>(std::atoi(argv[3]));
  gpustd::runtime rt(options);
  rt.register_hostcall<add2>([](int a, int b) { return a + b; });
  unsigned* bad = nullptr;
  unsigned long long* ns = nullptr;
  const unsigned lat_n = 4000;
  // Wrong answers, counted per kernel: [0] latency, [1 + kind] the rates'
  // kinds, [6] anatomies (async), [7] anatomy (batch), [8] lanes together.
  constexpr int bad_counts = 9;
  CHECK(cudaMallocManaged(&bad, bad_counts * sizeof *bad));
  CHECK(cudaMallocManaged(&ns, lat_n * sizeof *ns));
  for (int i = 0; i < bad_counts; ++i) bad[i] = 0;

  auto lat = [&](int kind, unsigned lanes) {
    std::vector<double> runs;
    for (int r = 0; r < 5; ++r) {
      latency<<<1, 32>>>(kind, lanes, lat_n, ns, bad);
      rt.synchronize();
      runs.push_back(median(std::vector<unsigned long long>(ns + 100, ns + lat_n)));
    }
    std::sort(runs.begin(), runs.end());
    return runs[2];
  };
  const double null32 = lat(0, 32), typed32 = lat(1, 32), null1 = lat(0, 1), typed1 = lat(1, 1);

  int per_sm = 0;
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, calls, 256, 0));
  const unsigned full_blocks = static_cast<unsigned>(per_sm * prop.multiProcessorCount);
  int async_per_sm = 0;
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&async_per_sm, async_calls, 256, 0));
  const unsigned async_blocks = static_cast<unsigned>(async_per_sm * prop.multiProcessorCount);
  int batch_per_sm = 0;
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&batch_per_sm, batch_calls, 256, 0));
  const unsigned batch_blocks = static_cast<unsigned>(batch_per_sm * prop.multiProcessorCount);
  // One timed run: M warp-calls/s.
  auto run_rate = [&](int kind, unsigned blocks, unsigned threads, unsigned n) {
    const auto t0 = std::chrono::steady_clock::now();
    if (kind == 2) async_calls<<<blocks, threads>>>(kind, n, bad + 1 + kind);
    else if (kind == 4) batch_calls<<<blocks, threads>>>(kind, n, bad + 1 + kind);
    else calls<<<blocks, threads>>>(kind, n, bad + 1 + kind);
    rt.synchronize();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return double(blocks) * ((threads + 31) / 32) * n / s / 1e6;
  };
  // The kinds' runs take turns (null, typed, same answer, async, then
  // again) and each kind's median is taken: at full GPU the host's state
  // (which cores the server threads run on, what else runs) moves a run by
  // up to 2x, and a drift must fall on every kind alike. (Async last: the
  // same-answer runs that came right after it ran at 20-25 M warp-calls/s,
  // below the typed calls; at 32-60 M since, in the eighteenth session.)
  // (kind 4: async_batch, after async.)
  auto rates = [&](unsigned blocks, unsigned async_blocks_, unsigned batch_blocks_, unsigned n, int runs) {
    std::vector<double> r[5];
    constexpr int order[5] = {0, 1, 3, 2, 4};
    for (int i = 0; i < runs; ++i)
      for (const int kind : order)
        r[kind].push_back(run_rate(kind, kind == 2 ? async_blocks_ : kind == 4 ? batch_blocks_ : blocks,
                                   blocks == 1 ? 32u : 256u, n));
    std::array<double, 5> m{};
    for (int kind = 0; kind < 5; ++kind) {
      std::sort(r[kind].begin(), r[kind].end());
      m[kind] = r[kind][r[kind].size() / 2];
    }
    return m;
  };
  const auto warp = rates(1, 1, 1, 4000, 3), full = rates(full_blocks, async_blocks, batch_blocks, 1000, 5);
  const double warp_null = warp[0], warp_typed = warp[1], warp_async = warp[2], warp_batch = warp[4];
  const double full_null = full[0], full_typed = full[1], full_async = full[2], full_same = full[3];
  const double full_batch = full[4];
  // Where one warp's 8 asynchronous calls spend their time, step by step,
  // inlined and out of line (async_steps); the phases are sums of steps.
  const unsigned anatomy_n = 4000;
  int clock_khz = 0;
  CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0));
  unsigned long long* step = nullptr;
  CHECK(cudaMallocManaged(&step, 2 * 16 * sizeof *step));
  async_steps<false><<<1, 32>>>(anatomy_n, step, bad + 6);
  async_steps<true><<<1, 32>>>(anatomy_n, step + 16, bad + 6);
  unsigned long long* batch_step = nullptr;
  CHECK(cudaMallocManaged(&batch_step, 5 * sizeof *batch_step));
  batch_steps<<<1, 32>>>(anatomy_n, batch_step, bad + 7);
  rt.synchronize();
  auto batch_us = [&](int k) { return double(batch_step[k]) / (anatomy_n / 8) / clock_khz * 1e3; };
  auto step_us = [&](int k) { return double(step[k]) / (anatomy_n / 8) / clock_khz * 1e3; };
  auto steps_us = [&](int from, int to) {
    double sum = 0;
    for (int k = from; k < to; ++k) sum += step_us(k);
    return sum;
  };

  // How many lanes of a warp call together, async x8 at full GPU.
  unsigned* together = nullptr;
  CHECK(cudaMallocManaged(&together, 66 * sizeof *together));
  for (int i = 0; i < 66; ++i) together[i] = 0;
  async_together<<<async_blocks, 256>>>(400, together, bad + 8);
  rt.synchronize();
  // Of all lanes' calls: the mean size of the group a call was made in, and
  // the share made by a lane alone (first 8 calls, later ones).
  auto group_mean = [&](int half) {
    double lanes = 0, groups = 0;
    for (int g = 1; g <= 32; ++g) {
      lanes += together[33 * half + g];
      groups += double(together[33 * half + g]) / g;
    }
    return lanes / groups;
  };
  auto alone = [&](int half) {
    double lanes = 0;
    for (int g = 1; g <= 32; ++g) lanes += together[33 * half + g];
    return together[33 * half + 1] / lanes;
  };

  // The floor of the targets, nothing of gpustd in it (typed_floor.h):
  // the kinds take turns, median of 5 (one warp: of 3).
  const unsigned host_threads = rt.options().server_threads;
  auto floors = [&](unsigned blocks, unsigned threads, unsigned rounds, int runs) {
    std::vector<double> r[3];
    for (int i = 0; i < runs; ++i)
      for (unsigned k = 0; k < 3; ++k) {
        const unsigned calls = k == 2 ? typed_floor::max_calls : k;
        r[k].push_back(typed_floor::rate(blocks, threads, calls, calls > 1 ? rounds / calls : rounds, host_threads, 1));
      }
    std::array<double, 3> m{};
    for (int k = 0; k < 3; ++k) {
      std::sort(r[k].begin(), r[k].end());
      m[k] = r[k][r[k].size() / 2];
    }
    return m;
  };
  const auto warp_floor = floors(1, 32, 4000, 3), full_floor = floors(full_blocks, 256, 1000, 5);

  std::printf("typed hostcall benchmark on %s; full GPU = %u blocks x 256 threads (%u warps); %s server threads\n",
              prop.name, full_blocks, full_blocks * 8, argc > 2 ? argv[2] : "default");
  std::printf("\n%-46s %10s %10s %8s %8s\n", "latency (us per call, median)", "null call", "typed", "ratio", "target");
  std::printf("%-46s %10.2f %10.2f %8.2f %8s\n", "one warp, 32 lanes calling", null32, typed32, typed32 / null32, "<= 1.1");
  std::printf("%-46s %10.2f %10.2f %8.2f %8s\n", "one lane calling", null1, typed1, typed1 / null1, "<= 1.1");
  std::printf("\n%-46s %10s %10s %8s %10s %8s %10s %8s\n", "throughput (M warp-calls/s)", "null call", "typed",
              "ratio", "async x8", "/typed", "batch x8", "/typed");
  std::printf("%-46s %10.3f %10.3f %8.2f %10.3f %8.2f %10.3f %8.2f\n", "one warp", warp_null, warp_typed,
              warp_typed / warp_null, warp_async, warp_async / warp_typed, warp_batch, warp_batch / warp_typed);
  std::printf("%-46s %10.3f %10.3f %8.2f %10.3f %8.2f %10.3f %8.2f\n", "every resident warp", full_null, full_typed,
              full_typed / full_null, full_async, full_async / full_typed, full_batch, full_batch / full_typed);
  std::printf("%-46s %10.3f %10.3f %8.2f\n", "every resident warp, same answer in every lane", full_null, full_same,
              full_same / full_null);
  std::printf("targets: typed/null throughput at full GPU >= 0.9; async x8 per warp >= 4x blocking\n");
  std::printf("(async x8: 8 async_call futures a thread, then 8 get; batch x8: one async_batch of 8 calls a "
              "thread, then 8 get)\n");
  std::printf("\n%-46s %10s %10s %8s %10s %8s\n", "the floor (bare ping-pong, M warp-calls/s)", "no args", "2 ints",
              "ratio", "8 a lane", "8/1");
  std::printf("%-46s %10.3f %10.3f %8.2f %10.3f %8.2f\n", "one warp", warp_floor[0], warp_floor[1],
              warp_floor[1] / warp_floor[0], warp_floor[2], warp_floor[2] / warp_floor[1]);
  std::printf("%-46s %10.3f %10.3f %8.2f %10.3f %8.2f\n", "every resident warp", full_floor[0], full_floor[1],
              full_floor[1] / full_floor[0], full_floor[2], full_floor[2] / full_floor[1]);
  std::printf("(%u host threads, as the runtime's; \"2 ints\": every lane's 8 bytes of arguments to the host and a "
              "4-byte result back; \"8 a lane\": eight such calls a lane in one request, counted as 8)\n",
              host_threads);
  std::printf("gpustd against its floor: typed %.2f of the floor's 2 ints at full GPU, null call %.2f of the bare "
              "floor; async x8 / blocking %.2f where the floor's 8 / 1 is %.2f\n",
              full_typed / full_floor[1], full_null / full_floor[0], warp_async / warp_typed,
              warp_floor[2] / warp_floor[1]);
  std::printf("(at full GPU: async x8 %u blocks x 256 threads, batch x8 %u)\n", async_blocks, batch_blocks);
  std::printf("\nasync x8, one warp, where the time goes (us per 8 calls, at %d MHz): 7 queued %.2f, "
              "8th (sends) %.2f, first get %.2f, other 7 gets %.2f; total %.2f\n",
              clock_khz / 1000, steps_us(0, 7), step_us(7), step_us(8), steps_us(9, 16), steps_us(0, 16));
  for (int kind = 0; kind < 2; ++kind) {
    std::printf(kind == 0 ? "step by step (us): calls" : "out of line (us):   calls");
    for (int k = 0; k < 8; ++k) std::printf(" %.2f", step_us(16 * kind + k));
    std::printf("; gets");
    for (int k = 8; k < 16; ++k) std::printf(" %.2f", step_us(16 * kind + k));
    std::printf("\n");
  }
  std::printf("batch x8, one warp, where the time goes (us per 8 calls): 8 adds %.2f, send %.2f, first get %.2f, "
              "other 7 gets %.2f, end %.2f; total %.2f\n",
              batch_us(0), batch_us(1), batch_us(2), batch_us(3), batch_us(4),
              batch_us(0) + batch_us(1) + batch_us(2) + batch_us(3) + batch_us(4));
  std::printf("\nasync x8 at full GPU, lanes of a warp calling together (__activemask at each async_call): "
              "first 8 calls %.1f lanes a group (%.0f%% alone), later %.1f (%.0f%% alone)\n",
              group_mean(0), 100 * alone(0), group_mean(1), 100 * alone(1));
  unsigned wrong = 0;
  for (int i = 0; i < bad_counts; ++i) wrong += bad[i];
  std::printf("wrong answers: %u", wrong);
  if (wrong) {
    static const char* const names[bad_counts] = {"latency", "null",    "typed",          "async x8",       "same answer",
                                                  "batch x8", "anatomy", "batch anatomy", "lanes together"};
    for (int i = 0; i < bad_counts; ++i)
      if (bad[i]) std::printf("; %s %u", names[i], bad[i]);
  }
  std::printf("\n");
  if (csv_path) {
    FILE* csv = std::fopen(csv_path, "w");
    std::fprintf(csv, "metric,null,typed,ratio,async,batch\n");
    std::fprintf(csv, "latency_us_32_lanes,%.3f,%.3f,%.3f,\n", null32, typed32, typed32 / null32);
    std::fprintf(csv, "latency_us_1_lane,%.3f,%.3f,%.3f,\n", null1, typed1, typed1 / null1);
    std::fprintf(csv, "mcalls_one_warp,%.4f,%.4f,%.3f,%.4f,%.4f\n", warp_null, warp_typed, warp_typed / warp_null,
                 warp_async, warp_batch);
    std::fprintf(csv, "mcalls_full_gpu,%.4f,%.4f,%.3f,%.4f,%.4f\n", full_null, full_typed, full_typed / full_null,
                 full_async, full_batch);
    std::fprintf(csv, "mcalls_full_gpu_same_answer,%.4f,%.4f,%.3f,\n", full_null, full_same, full_same / full_null);
    std::fprintf(csv, "floor_mcalls_one_warp,%.4f,%.4f,%.3f,%.4f\n", warp_floor[0], warp_floor[1],
                 warp_floor[1] / warp_floor[0], warp_floor[2]);
    std::fprintf(csv, "floor_mcalls_full_gpu,%.4f,%.4f,%.3f,%.4f\n", full_floor[0], full_floor[1],
                 full_floor[1] / full_floor[0], full_floor[2]);
    std::fprintf(csv, "async_lanes_together_first_8,,,,%.2f\n", group_mean(0));
    std::fprintf(csv, "async_lanes_together_later,,,,%.2f\n", group_mean(1));
    std::fclose(csv);
  }
  return wrong ? 1 : 0;
}
