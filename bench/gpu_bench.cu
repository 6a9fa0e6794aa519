// GPU benchmark of the hostcall channel, with its floor measured in the same
// run. Prints a table (and writes it as CSV to the path in argv[1], if given).
//
// Floor: a bare ping-pong through pinned mapped memory, one slot per warp,
// lane 0 calling, host threads polling their share of the slots with a
// trivial handler (the method of ../shared/floors/pingpong.cu).
// gpustd: every lane of each warp calls gpustd::null_call() (coalesced into
// one request per warp) or gpustd::null_send() (fire-and-forget).
#include <cuda/atomic>
#include <gpustd/gpustd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "cuda_check.h"
#include "send_floor.h"

namespace {

// ---------------- floor: bare ping-pong ----------------
struct alignas(128) pp_slot {
  unsigned req, resp;
  unsigned long long arg, ret;
};
using sys_u32 = cuda::atomic_ref<unsigned, cuda::thread_scope_system>;

__global__ void __launch_bounds__(1024, 2) pp_client(pp_slot* slots, int calls, unsigned long long* bad) {
  const int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  if ((threadIdx.x & 31) != 0) return;
  pp_slot* s = &slots[warp];
  for (int i = 1; i <= calls; ++i) {
    s->arg = static_cast<unsigned long long>(warp) * 1000003ull + i;
    sys_u32(s->req).store(i, cuda::memory_order_release);
    while (sys_u32(s->resp).load(cuda::memory_order_acquire) != static_cast<unsigned>(i)) {
    }
    if (s->ret != s->arg * 2 + 1) atomicAdd(bad, 1ull);
  }
}

double floor_run(int blocks, int threads, int calls, int host_threads) {
  const int warps = blocks * threads / 32;
  pp_slot* slots;
  CHECK(cudaHostAlloc(&slots, sizeof(pp_slot) * warps, cudaHostAllocMapped));
  std::memset(slots, 0, sizeof(pp_slot) * warps);
  pp_slot* dslots;
  CHECK(cudaHostGetDevicePointer(&dslots, slots, 0));
  unsigned long long* bad;
  CHECK(cudaMalloc(&bad, 8));
  CHECK(cudaMemset(bad, 0, 8));
  std::atomic<bool> stop{false};
  std::vector<unsigned> seen(warps, 0);
  std::vector<std::thread> ts;
  const int per = (warps + host_threads - 1) / host_threads;
  for (int t = 0; t < host_threads; ++t) {
    const int first = t * per, count = std::min(per, warps - first);
    if (count <= 0) continue;
    ts.emplace_back([&, first, count] {
      while (!stop.load(std::memory_order_relaxed))
        for (int w = first; w < first + count; ++w) {
          const unsigned r = std::atomic_ref<unsigned>(slots[w].req).load(std::memory_order_acquire);
          if (r != seen[w]) {
            seen[w] = r;
            slots[w].ret = slots[w].arg * 2 + 1;
            std::atomic_ref<unsigned>(slots[w].resp).store(r, std::memory_order_release);
          }
        }
    });
  }
  const auto t0 = std::chrono::steady_clock::now();
  pp_client<<<blocks, threads>>>(dslots, calls, bad);
  CHECK(cudaGetLastError());
  CHECK(cudaDeviceSynchronize());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stop = true;
  for (auto& t : ts) t.join();
  unsigned long long hbad = 0;
  CHECK(cudaMemcpy(&hbad, bad, 8, cudaMemcpyDeviceToHost));
  CHECK(cudaFreeHost(slots));
  CHECK(cudaFree(bad));
  if (hbad) std::printf("FLOOR ERROR: %llu bad answers\n", hbad);
  return secs;
}

// ---------------- gpustd ----------------
__global__ void __launch_bounds__(1024, 2) blocking_calls(int calls, unsigned* bad) {
  for (int i = 0; i < calls; ++i)
    if (gpustd::null_call() != 0) atomicAdd(bad, 1u);
}
__global__ void __launch_bounds__(1024, 2) fire_and_forget(int calls, unsigned* bad) {
  for (int i = 0; i < calls; ++i)
    if (gpustd::null_send() != 0) atomicAdd(bad, 1u);
}

// ---------------- device-side primitives, one thread ----------------
__global__ void primitive_costs(int mode, int iters, unsigned* host_word, std::uint64_t* dev_word,
                                unsigned long long* ns) {
  const unsigned long long t0 = gpustd::platform::timer_ns();
  unsigned sink = 0;
  for (int i = 0; i < iters; ++i) {
    switch (mode) {
      case 0: {  // lock and unlock a slot word in device memory
        const auto old = gpustd::platform::fetch_or_acquire_device(*dev_word, 1ull << 63);
        gpustd::platform::store_release_device(*dev_word, old & ~(1ull << 63));
        break;
      }
      case 1: gpustd::platform::store_release_system(*host_word, static_cast<unsigned>(i)); break;
      case 2: sink += gpustd::platform::load_acquire_system(*host_word); break;
      case 3: sink += gpustd::platform::load_relaxed_system(*host_word); break;
      default: {  // fetch_or only
        sink += static_cast<unsigned>(gpustd::platform::fetch_or_acquire_device(*dev_word, 0));
      }
    }
  }
  *ns = (gpustd::platform::timer_ns() - t0) / iters + (sink == 0xdeadbeef);
}

struct measured {
  double secs;
  unsigned long long requests;
};
// Over every gpustd run: frames the host saw before all their stores had
// landed (sealed frames, docs/design.md), and frames served.
unsigned long long not_yet_whole_total = 0, frames_total = 0;

measured gpustd_run(void (*kernel)(int, unsigned*), int blocks, int threads, int calls, int host_threads) {
  gpustd::runtime_options o;
  o.server_threads = static_cast<unsigned>(host_threads);
  // GPUSTD_BENCH_FRAMES_PER_SLOT: another window per slot (a power of two),
  // to see what a deeper one would give.
  if (const char* f = std::getenv("GPUSTD_BENCH_FRAMES_PER_SLOT")) o.frames_per_slot = static_cast<unsigned>(std::atoi(f));
  gpustd::runtime rt(o);
  unsigned* bad;
  CHECK(cudaMalloc(&bad, 4));
  CHECK(cudaMemset(bad, 0, 4));
  kernel<<<1, 32>>>(10, bad);  // warm up (and wake the server threads)
  rt.synchronize();
  const gpustd::runtime_stats st0 = rt.stats();
  const auto before = st0.requests;
  const auto t0 = std::chrono::steady_clock::now();
  kernel<<<blocks, threads>>>(calls, bad);
  CHECK(cudaGetLastError());
  rt.synchronize();  // kernel done and every request served
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  unsigned hbad = 0;
  CHECK(cudaMemcpy(&hbad, bad, 4, cudaMemcpyDeviceToHost));
  CHECK(cudaFree(bad));
  if (hbad) std::printf("GPUSTD ERROR: %u calls failed\n", hbad);
  const gpustd::runtime_stats st1 = rt.stats();
  not_yet_whole_total += st1.frames_not_yet_whole - st0.frames_not_yet_whole;
  frames_total += st1.frames - st0.frames;
  return {secs, st1.requests - before};
}

// The process's anonymous memory in transparent huge pages (KiB), or -1.
long anon_huge_kb() {
  FILE* f = std::fopen("/proc/self/smaps_rollup", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "AnonHugePages: %ld kB", &kb) == 1) break;
  std::fclose(f);
  return kb;
}

}  // namespace

int main(int argc, char** argv) {
  // GPUSTD_BENCH_SYNC=blocking: the host thread that waits for a kernel
  // sleeps until it ends (cudaDeviceScheduleBlockingSync) rather than spin,
  // so that it takes no core from the server threads.
  if (const char* sync = std::getenv("GPUSTD_BENCH_SYNC"); sync && std::strcmp(sync, "blocking") == 0)
    CHECK(cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync));
  cudaDeviceProp p;
  CHECK(cudaGetDeviceProperties(&p, 0));
  const int sms = p.multiProcessorCount;
  const int all_blocks = sms * (p.maxThreadsPerMultiProcessor / 1024);
  const int host_n = static_cast<int>(std::clamp(std::thread::hardware_concurrency() / 2, 1u, 8u));
  std::printf("device: %s, %d SMs, host threads N=%d\n", p.name, sms, host_n);
  CHECK(cudaFree(nullptr));
  {  // Whether the channel got huge pages (runtime_options::channel_huge_pages).
    const long before = anon_huge_kb();
    gpustd::runtime rt;
    std::printf("channel in huge pages: %ld KiB (GPUSTD_CHANNEL_HUGE_PAGES=%s)\n", anon_huge_kb() - before,
                std::getenv("GPUSTD_CHANNEL_HUGE_PAGES") ? std::getenv("GPUSTD_CHANNEL_HUGE_PAGES") : "unset");
  }
  // GPUSTD_BENCH_ONLY=full:T or ff:T (T host threads): only blocking null
  // calls (full) or null sends (ff) from every resident warp, 20 runs, for a
  // profiler to watch the server or to try other thread counts. pair:T: a
  // blocking run and a fire-and-forget run in turns, 20 pairs, each pair's
  // ratio and the median of the ratios: the two rates of a pair are taken
  // a second apart, so that the machine's slow and fast spells (which move
  // both) move their ratio less than the medians of runs taken apart.
  const char* only = std::getenv("GPUSTD_BENCH_ONLY");
  if (only && std::strncmp(only, "pair:", 5) == 0) {
    const int ht = std::max(1, std::atoi(only + 5));
    const double total = double(all_blocks) * 1024 / 32 * 200;
    std::vector<double> blk, sends, ratio;
    for (int r = 0; r < 20; ++r) {
      blk.push_back(total / gpustd_run(blocking_calls, all_blocks, 1024, 200, ht).secs / 1e6);
      sends.push_back(total / gpustd_run(fire_and_forget, all_blocks, 1024, 200, ht).secs / 1e6);
      ratio.push_back(sends.back() / blk.back());
      std::printf("full GPU, %d host thr, pair %2d: blocking %7.3f, fire-and-forget %7.3f M warp-calls/s, "
                  "ff/blk %.2f\n",
                  ht, r + 1, blk.back(), sends.back(), ratio.back());
    }
    auto quartiles = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return std::array<double, 3>{v[v.size() / 4], v[v.size() / 2], v[3 * v.size() / 4]};
    };
    const auto b = quartiles(blk), f = quartiles(sends), q = quartiles(ratio);
    std::printf("full GPU, %d host thr, 20 pairs: blocking %.1f (p25 %.1f, p75 %.1f), fire-and-forget %.1f (p25 %.1f, "
                "p75 %.1f) M warp-calls/s; ff/blk of each pair: median %.2f (p25 %.2f, p75 %.2f)\n",
                ht, b[1], b[0], b[2], f[1], f[0], f[2], q[1], q[0], q[2]);
    return 0;
  }
  const bool ff = only && std::strncmp(only, "ff:", 3) == 0;
  if (ff || (only && std::strncmp(only, "full:", 5) == 0)) {
    const int ht = std::max(1, std::atoi(std::strchr(only, ':') + 1));
    const double total = double(all_blocks) * 1024 / 32 * 200;
    for (int r = 0; r < 20; ++r) {
      const measured b = gpustd_run(ff ? fire_and_forget : blocking_calls, all_blocks, 1024, 200, ht);
      std::printf("full GPU, %s, %d host thr: %.3f M warp-calls/s\n", ff ? "fire-and-forget" : "blocking", ht,
                  total / b.secs / 1e6);
    }
    return 0;
  }
  FILE* csv = argc > 1 ? std::fopen(argv[1], "w") : nullptr;
  if (csv) std::fprintf(csv, "what,warps,host_threads,floor,gpustd,ratio\n");

  // What the pieces of a call cost on the device, one thread, in a loop.
  {
    unsigned* host_word;
    CHECK(cudaHostAlloc(&host_word, 64, cudaHostAllocMapped));
    unsigned* dhost;
    CHECK(cudaHostGetDevicePointer(&dhost, host_word, 0));
    std::uint64_t* dev_word;
    unsigned long long* ns;
    CHECK(cudaMalloc(&dev_word, 8));
    CHECK(cudaMemset(dev_word, 0, 8));
    CHECK(cudaMallocManaged(&ns, 8));
    const char* names[] = {"lock + unlock (device-memory atomic, release)", "release store to host memory",
                           "acquire load from host memory", "relaxed load from host memory",
                           "device-memory atomic alone"};
    std::printf("\n%-44s %10s\n", "device primitives (ns each, one thread)", "ns");
    for (int mode = 0; mode < 5; ++mode) {
      primitive_costs<<<1, 1>>>(mode, 2000, dhost, dev_word, ns);
      CHECK(cudaDeviceSynchronize());
      std::printf("%-44s %10llu\n", names[mode], *ns);
    }
    CHECK(cudaFreeHost(host_word));
    CHECK(cudaFree(dev_word));
    CHECK(cudaFree(ns));
  }

  // Latency: one warp; the median of five runs of 20,000 calls each. The
  // runs of the four kinds take turns (floor, 32 lanes, 1 lane, N threads,
  // then again), so that a drift of the machine's state during the
  // measurement (clocks, the host's caches) falls on all of them alike.
  const int lat_calls = 20000;
  floor_run(1, 32, 2000, 1);  // warm up
  double lat[4][5];
  for (int r = 0; r < 5; ++r) {
    lat[0][r] = floor_run(1, 32, lat_calls, 1) / lat_calls * 1e6;
    lat[1][r] = gpustd_run(blocking_calls, 1, 32, lat_calls, 1).secs / lat_calls * 1e6;
    lat[2][r] = gpustd_run(blocking_calls, 1, 1, lat_calls, 1).secs / lat_calls * 1e6;
    lat[3][r] = gpustd_run(blocking_calls, 1, 32, lat_calls, host_n).secs / lat_calls * 1e6;
  }
  auto median5 = [](double* v) {
    std::sort(v, v + 5);
    return v[2];
  };
  const double floor_lat = median5(lat[0]), g_lat = median5(lat[1]), g_lat_lane = median5(lat[2]),
               g_lat_n = median5(lat[3]);
  std::printf("\n%-44s %10s %10s %8s\n", "latency, one warp (us per call, median of 5)", "floor", "gpustd", "ratio");
  std::printf("%-44s %10.2f %10.2f %8.2f\n", "32 lanes calling (one request)", floor_lat, g_lat, g_lat / floor_lat);
  std::printf("%-44s %10.2f %10.2f %8.2f\n", "1 lane calling", floor_lat, g_lat_lane, g_lat_lane / floor_lat);
  std::printf("%-44s %10.2f %10.2f %8.2f\n", "32 lanes, N host threads", floor_lat, g_lat_n, g_lat_n / floor_lat);
  if (csv) std::fprintf(csv, "latency_us,1,1,%.3f,%.3f,%.3f\n", floor_lat, g_lat, g_lat / floor_lat);

  struct shape {
    const char* name;
    int blocks, threads, calls;
  };
  const shape shapes[] = {{"1 warp", 1, 32, 20000},
                          {"1 warp per SM", sms, 32, 4000},
                          {"every warp resident", all_blocks, 1024, 200}};
  std::printf("\n%-44s %10s %10s %8s %10s %8s\n", "throughput (M warp-calls/s, median of 5)", "floor", "blocking", "ratio",
              "fire&forget", "ff/blk");
  double full_blocking[2] = {}, full_sends[2] = {};  // every warp resident: 1 host thread, N
  for (const shape& s : shapes) {
    for (int ht : {1, host_n}) {
      const int warps = s.blocks * s.threads / 32;
      const double total = double(warps) * s.calls;
      // Five rounds of a floor run, a blocking run and a fire-and-forget
      // run in turns, as the latencies above: the machine's slow and fast
      // spells (seconds long, docs/benchmarks.md) then fall on the three
      // alike. The rates are the medians of their five; each ratio is the
      // median of the five rounds' ratios.
      constexpr int rounds = 5;  // (median5 above)
      double fr[rounds], br[rounds], sr[rounds], b_over_f[rounds], s_over_b[rounds];
      unsigned long long requests = 0;
      for (int r = 0; r < rounds; ++r) {
        fr[r] = total / floor_run(s.blocks, s.threads, s.calls, ht) / 1e6;
        const measured b = gpustd_run(blocking_calls, s.blocks, s.threads, s.calls, ht);
        requests = b.requests;
        br[r] = total / b.secs / 1e6;
        sr[r] = total / gpustd_run(fire_and_forget, s.blocks, s.threads, s.calls, ht).secs / 1e6;
        b_over_f[r] = br[r] / fr[r];
        s_over_b[r] = sr[r] / br[r];
      }
      const double f = median5(fr), g = median5(br), gf = median5(sr), g_f = median5(b_over_f), gf_g = median5(s_over_b);
      char label[96];
      std::snprintf(label, sizeof label, "%s (%d warps), %d host thr", s.name, warps, ht);
      std::printf("%-44s %10.3f %10.3f %8.2f %10.3f %8.2f\n", label, f, g, g_f, gf, gf_g);
      if (s.blocks == all_blocks) {
        full_blocking[ht == 1 ? 0 : 1] = g;
        full_sends[ht == 1 ? 0 : 1] = gf;
      }
      if (requests != static_cast<unsigned long long>(total))
        std::printf("  note: %llu requests for %.0f warp-calls (lanes split into several requests)\n", requests,
                    total);
      if (csv)
        std::fprintf(csv, "throughput_blocking,%d,%d,%.4f,%.4f,%.3f\nthroughput_fire_and_forget,%d,%d,%.4f,%.4f,%.3f\n",
                     warps, ht, f, g, g_f, warps, ht, f, gf, gf_g);
    }
  }
  // The floor of a send (send_floor.h): one line a send, nothing of
  // gpustd; what the fire-and-forget target can reach with one line a send.
  {
    const shape& s = shapes[2];
    const double total = double(s.blocks) * s.threads / 32 * s.calls;
    std::printf("\n%-44s %10s %10s %10s %8s\n", "the floor of a send (M sends/s, median of 3)", "bare send",
                "gpustd ff", "2x blocking", "bare/blk");
    for (int i = 0; i < 2; ++i) {
      const int ht = i == 0 ? 1 : host_n;
      unsigned long long wrong = 0;
      double r[3];
      for (double& x : r)
        x = total / send_floor::run(s.blocks, s.threads, s.calls, ht, wrong) / 1e6;
      std::sort(r, r + 3);
      char label[96];
      std::snprintf(label, sizeof label, "%s, %d host thr", s.name, ht);
      std::printf("%-44s %10.3f %10.3f %10.3f %8.2f\n", label, r[1], full_sends[i], 2 * full_blocking[i],
                  r[1] / full_blocking[i]);
      if (wrong) std::printf("SEND FLOOR ERROR: %llu wrong arguments\n", wrong);
      if (csv)
        std::fprintf(csv, "send_floor,%d,%d,%.4f,%.4f,%.3f\n", s.blocks * s.threads / 32, ht, r[1], full_sends[i],
                     full_sends[i] / r[1]);
    }
  }
  std::printf("\nframes the host looked at before all their stores had landed (sealed, looked at again): %llu of %llu\n",
              not_yet_whole_total, frames_total);
  if (csv) std::fclose(csv);
  return 0;
}
