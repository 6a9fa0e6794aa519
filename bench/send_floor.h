// The floor of a fire-and-forget send: the bare ping-pong's method (see
// gpu_bench.cu) with no answer to wait for, nothing of gpustd in it. Each
// warp's lane 0 posts its sends into a ring of 8 lines of its own (a
// sequence number and an 8-byte argument, published with a system-scope
// release) and, when the ring is full, waits for the host's progress word
// for that warp, backing off as gpustd's senders do. Host threads poll
// their share of the rings, read each new line, check its argument, and
// move the warp's progress word once per visit.
//
// One line the device wrote per send, and the least a host thread can do
// with it: what this reaches is what any channel of one line a send can
// reach with the same host threads (gpu_bench's fire-and-forget target).
#pragma once
#include <cuda/atomic>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "cuda_check.h"
#include "floor_pollers.h"

namespace send_floor {

inline constexpr unsigned ring_lines = 8;

struct alignas(64) line {
  unsigned seq;  // the send's number, 1, 2, ... (0: none yet)
  unsigned reserved;
  unsigned long long arg;
};
struct alignas(64) progress_line {
  unsigned done;  // host: the newest send it has read (release)
};

using sys_u32 = cuda::atomic_ref<unsigned, cuda::thread_scope_system>;

__host__ __device__ inline unsigned long long arg_of(unsigned warp, unsigned i) {
  return (static_cast<unsigned long long>(warp) << 32) | i;
}

__global__ void __launch_bounds__(1024, 2) sender(line* rings, progress_line* progress, unsigned sends) {
  const unsigned warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  if ((threadIdx.x & 31) != 0) return;
  line* ring = rings + std::size_t(warp) * ring_lines;
  unsigned known = 0;  // the newest send known to be read
  for (unsigned i = 1; i <= sends; ++i) {
    if (i - known > ring_lines) {
      for (unsigned pause = 128;;) {
        known = sys_u32(progress[warp].done).load(cuda::memory_order_acquire);
        if (i - known <= ring_lines) break;
        __nanosleep(pause);
        if (pause < 8192) pause *= 2;
      }
    }
    line& l = ring[(i - 1) % ring_lines];
    l.arg = arg_of(warp, i);
    sys_u32(l.seq).store(i, cuda::memory_order_release);
  }
}

// One run: every warp of blocks x threads sends `sends` times; returns the
// seconds until the host has read them all. Wrong arguments are counted
// in `bad`.
inline double run(unsigned blocks, unsigned threads, unsigned sends, unsigned host_threads, unsigned long long& bad) {
  const unsigned warps = blocks * threads / 32;
  line* rings = nullptr;
  progress_line* progress = nullptr;
  CHECK(cudaHostAlloc(&rings, sizeof(line) * ring_lines * warps, cudaHostAllocMapped));
  CHECK(cudaHostAlloc(&progress, sizeof(progress_line) * warps, cudaHostAllocMapped));
  std::memset(rings, 0, sizeof(line) * ring_lines * warps);
  std::memset(progress, 0, sizeof(progress_line) * warps);
  line* drings = nullptr;
  progress_line* dprogress = nullptr;
  CHECK(cudaHostGetDevicePointer(&drings, rings, 0));
  CHECK(cudaHostGetDevicePointer(&dprogress, progress, 0));
  std::atomic<unsigned> finished_warps{0};
  std::atomic<unsigned long long> wrong{0};
  std::vector<std::thread> ts = start_pollers(warps, host_threads, [&](unsigned first, unsigned count) {
    std::vector<unsigned> next(count, 1);
    unsigned left = count;
    unsigned long long w_bad = 0;
    while (left != 0)
      for (unsigned k = 0; k < count; ++k) {
        const unsigned w = first + k;
        unsigned n = next[k];
        if (n > sends) continue;
        line* ring = rings + std::size_t(w) * ring_lines;
        while (n <= sends &&
               std::atomic_ref<unsigned>(ring[(n - 1) % ring_lines].seq).load(std::memory_order_acquire) == n) {
          w_bad += ring[(n - 1) % ring_lines].arg != arg_of(w, n);
          ++n;
        }
        if (n == next[k]) continue;
        next[k] = n;
        std::atomic_ref<unsigned>(progress[w].done).store(n - 1, std::memory_order_release);
        if (n > sends) --left;
      }
    wrong += w_bad;
    finished_warps += count;
  });
  const auto t0 = std::chrono::steady_clock::now();
  sender<<<blocks, threads>>>(drings, dprogress, sends);
  CHECK(cudaGetLastError());
  for (auto& t : ts) t.join();  // every send read
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(cudaDeviceSynchronize());
  CHECK(cudaFreeHost(rings));
  CHECK(cudaFreeHost(progress));
  bad += wrong.load();
  if (finished_warps.load() != warps) std::printf("SEND FLOOR ERROR: %u of %u warps read\n", finished_warps.load(), warps);
  return secs;
}

}  // namespace send_floor
