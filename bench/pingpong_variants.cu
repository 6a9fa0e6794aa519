// Variants of the bare ping-pong (one device thread, one host thread that
// echoes), to price the pieces of a send and of a wait before the protocol
// uses them. Median of 5 runs of 20,000 round trips, in turns.
//
//   pingpong_variants
//
// Rows: the floor's method (release send, acquire poll, then a read of the
// host's result); without that read; a relaxed poll followed by an acquire
// fence; a send without the release (what a sealed frame saves,
// protocol/seal.h); and four polls in flight, issued a few hundred cycles
// apart, of the same word or of four copies of it in separate lines (to see
// an answer sooner than one poll's round trip allows; measured slower on an
// H100, bench/results/2026-11-23-h100-session11.txt).
#include <cuda/atomic>
#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>
#include "cuda_check.h"
#include "device_clock.h"

namespace {
struct alignas(128) line { unsigned v; unsigned pad[31]; };
struct area {
  line req;
  line resp[4];
  alignas(128) unsigned long long arg, ret;
};
using sys_u32 = cuda::atomic_ref<unsigned, cuda::thread_scope_system>;

__device__ __forceinline__ unsigned ld_relaxed(const unsigned* p) {
  unsigned v;
  asm volatile("ld.relaxed.sys.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}
__device__ __forceinline__ void spin(unsigned cyc) {
  const std::uint64_t t0 = cycles();
  while (cycles() - t0 < cyc) {
  }
}

// mode bits: 1 = no fence on send (relaxed stores), 2 = pipelined polls, 4 = polls on 4 lines
//            8 = read ret after (only after an acquire), 16 = acquire fence after a relaxed poll saw it
__global__ void client(area* a, int mode, int calls, unsigned stagger, unsigned long long* out) {
  const std::uint64_t t0 = timer();
  unsigned long long bad = 0;
  for (int i = 1; i <= calls; ++i) {
    a->arg = static_cast<unsigned long long>(i) * 3;
    if (mode & 1) {
      sys_u32(a->req.v).store(i, cuda::memory_order_relaxed);
    } else {
      sys_u32(a->req.v).store(i, cuda::memory_order_release);
    }
    const unsigned want = i;
    if (mode & 2) {
      const unsigned* p0 = &a->resp[0].v;
      const unsigned* p1 = (mode & 4) ? &a->resp[1].v : p0;
      const unsigned* p2 = (mode & 4) ? &a->resp[2].v : p0;
      const unsigned* p3 = (mode & 4) ? &a->resp[3].v : p0;
      unsigned x0 = ld_relaxed(p0);
      spin(stagger);
      unsigned x1 = ld_relaxed(p1);
      spin(stagger);
      unsigned x2 = ld_relaxed(p2);
      spin(stagger);
      unsigned x3 = ld_relaxed(p3);
      for (;;) {
        if (x0 == want) break;
        x0 = ld_relaxed(p0);
        if (x1 == want) break;
        x1 = ld_relaxed(p1);
        if (x2 == want) break;
        x2 = ld_relaxed(p2);
        if (x3 == want) break;
        x3 = ld_relaxed(p3);
      }
      if (mode & 16) cuda::atomic_thread_fence(cuda::memory_order_acquire, cuda::thread_scope_system);
    } else if (mode & 16) {
      while (ld_relaxed(&a->resp[0].v) != want) {
      }
      cuda::atomic_thread_fence(cuda::memory_order_acquire, cuda::thread_scope_system);
    } else {
      while (sys_u32(a->resp[0].v).load(cuda::memory_order_acquire) != want) {
      }
    }
    if (mode & 8) {
      if (a->ret != static_cast<unsigned long long>(i) * 6 + 1) ++bad;
    }
  }
  out[0] = timer() - t0;
  out[1] = bad;
}

double run(area* h, area* d, int mode, int calls, unsigned stagger, unsigned long long* out) {
  std::memset(h, 0, sizeof(area));
  std::atomic<bool> stop{false};
  const int copies = (mode & 4) ? 4 : 1;
  std::thread echo([&] {
    unsigned seen = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const unsigned r = std::atomic_ref<unsigned>(h->req.v).load(std::memory_order_acquire);
      if (r != seen) {
        seen = r;
        h->ret = r * 6ull + 1;
        for (int k = 0; k < copies; ++k) std::atomic_ref<unsigned>(h->resp[k].v).store(r, std::memory_order_release);
      }
    }
  });
  client<<<1, 1>>>(d, mode, calls, stagger, out);
  CHECK(cudaDeviceSynchronize());
  stop = true;
  echo.join();
  return double(out[0]) / calls / 1000.0;
}
}  // namespace

int main() {
  area* h;
  CHECK(cudaHostAlloc(&h, sizeof(area), cudaHostAllocMapped));
  area* d;
  CHECK(cudaHostGetDevicePointer(&d, h, 0));
  unsigned long long* out;
  CHECK(cudaMallocManaged(&out, 16));
  struct cfg { int mode; unsigned stagger; const char* name; };
  const cfg cfgs[] = {
      {8, 0, "floor (release send, acquire poll, read ret)"},
      {0, 0, "release send, acquire poll"},
      {16, 0, "release send, relaxed poll + acquire fence"},
      {1, 0, "relaxed send, acquire poll"},
      {2, 300, "release, 4 pipelined polls same word, 300cyc"},
      {2, 500, "release, 4 pipelined polls same word, 500cyc"},
      {2, 800, "release, 4 pipelined polls same word, 800cyc"},
      {6, 300, "release, 4 pipelined polls 4 lines, 300cyc"},
      {6, 500, "release, 4 pipelined polls 4 lines, 500cyc"},
      {6, 800, "release, 4 pipelined polls 4 lines, 800cyc"},
      {22, 500, "release, 4 lines 500cyc + acquire fence"},
      {7, 500, "relaxed send, 4 lines 500cyc"},
  };
  const int n = sizeof(cfgs) / sizeof(cfgs[0]);
  const int calls = 20000;
  std::vector<std::vector<double>> v(n);
  run(h, d, 8, 2000, 0, out);
  for (int rep = 0; rep < 5; ++rep)
    for (int c = 0; c < n; ++c) {
      v[c].push_back(run(h, d, cfgs[c].mode, calls, cfgs[c].stagger, out));
      if (out[1]) std::printf("bad %llu in %s\n", out[1], cfgs[c].name);
    }
  for (int c = 0; c < n; ++c) {
    std::sort(v[c].begin(), v[c].end());
    std::printf("%-50s median %.3f us  (min %.3f max %.3f)\n", cfgs[c].name, v[c][2], v[c][0], v[c][4]);
  }
}
