// The floor of a typed hostcall: the bare ping-pong of gpu_bench.cu (the
// method of ../shared/floors/pingpong.cu) carrying what a warp's call of
// add2(int, int) must carry, with nothing of gpustd in it. It tells what
// the hardware allows hostcall_bench's targets, in the same run:
//
// - calls = 0: the bare floor itself (lane 0 rings, the host answers);
// - calls = 1: a typed call with two ints a lane: every lane writes its 8
//   bytes of arguments (256 bytes a warp), the host reads them, adds each
//   lane's pair and writes 32 four-byte results, which the lanes read;
// - calls = 8: eight such calls a lane in one request (8 in flight, sent
//   together, answered together): the least any design of asynchronous
//   calls costs, per call.
//
// Each warp has a slot of its own: the doorbell line (request and response
// words), then its arguments [call][lane] and its results [call][lane], so
// that a warp's loads and stores are whole lines. Host threads poll their
// share of the slots, as the floor's do. The device publishes with a
// system-scope release (the floor's way; gpustd seals instead).
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

namespace typed_floor {

inline constexpr unsigned max_calls = 8;

// Bytes of one warp's slot for `calls` calls a lane (0: the doorbell line
// alone, as the bare floor's slot).
__host__ __device__ constexpr std::size_t slot_bytes(unsigned calls) { return 128 + std::size_t(calls) * 32 * (8 + 4); }

struct slot_view {
  unsigned char* base;
  __host__ __device__ unsigned* req() const { return reinterpret_cast<unsigned*>(base); }
  __host__ __device__ unsigned* resp() const { return reinterpret_cast<unsigned*>(base + 64); }
  __host__ __device__ std::uint64_t* args() const { return reinterpret_cast<std::uint64_t*>(base + 128); }
  __host__ __device__ std::uint32_t* results(unsigned calls) const {
    return reinterpret_cast<std::uint32_t*>(base + 128 + std::size_t(calls) * 32 * 8);
  }
};

using sys_u32 = cuda::atomic_ref<unsigned, cuda::thread_scope_system>;

__device__ inline std::uint32_t load_relaxed_system(const std::uint32_t* p) {
  std::uint32_t v;
  asm volatile("ld.relaxed.sys.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}

// Every lane of each warp: `rounds` requests of `calls` calls a lane
// (template: the loops over calls unrolled, as a real batch's would be).
template <unsigned calls>
__global__ void __launch_bounds__(256) client(unsigned char* slots, unsigned rounds, unsigned long long* bad) {
  const unsigned warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x & 31;
  const slot_view s{slots + std::size_t(warp) * slot_bytes(calls)};
  unsigned wrong = 0;
  for (unsigned r = 1; r <= rounds; ++r) {
    const int a = static_cast<int>(warp * 32 + lane), b = static_cast<int>(r);
    if constexpr (calls > 0) {
#pragma unroll
      for (unsigned k = 0; k < calls; ++k)
        s.args()[k * 32 + lane] =
            static_cast<std::uint32_t>(a) | std::uint64_t(static_cast<std::uint32_t>(b + static_cast<int>(k))) << 32;
    }
    __syncwarp();  // every lane's arguments before lane 0's release (cumulative)
    if (lane == 0) {
      sys_u32(*s.req()).store(r, cuda::memory_order_release);
      while (sys_u32(*s.resp()).load(cuda::memory_order_acquire) != r) {
      }
    }
    __syncwarp();  // lane 0's acquire before every lane's reads
    if constexpr (calls > 0) {
      std::uint32_t got[calls];  // (the loads issued together, then compared)
#pragma unroll
      for (unsigned k = 0; k < calls; ++k) got[k] = load_relaxed_system(&s.results(calls)[k * 32 + lane]);
#pragma unroll
      for (unsigned k = 0; k < calls; ++k) wrong += got[k] != static_cast<std::uint32_t>(a + b + static_cast<int>(k));
    }
  }
  if (wrong) atomicAdd(bad, static_cast<unsigned long long>(wrong));
}

// One run: every warp of blocks x threads makes `rounds` requests of
// `calls` calls a lane; host_threads threads serve. Returns seconds.
inline double run(unsigned blocks, unsigned threads, unsigned calls, unsigned rounds, unsigned host_threads) {
  const unsigned warps = blocks * threads / 32;
  const std::size_t stride = slot_bytes(calls), bytes = stride * warps;
  unsigned char* slots = nullptr;
  CHECK(cudaHostAlloc(&slots, bytes, cudaHostAllocMapped));
  std::memset(slots, 0, bytes);
  unsigned char* dslots = nullptr;
  CHECK(cudaHostGetDevicePointer(&dslots, slots, 0));
  unsigned long long* bad = nullptr;
  CHECK(cudaMalloc(&bad, sizeof *bad));
  CHECK(cudaMemset(bad, 0, sizeof *bad));
  std::atomic<bool> stop{false};
  std::vector<unsigned> seen(warps, 0);
  std::vector<std::thread> ts = start_pollers(warps, host_threads, [&](unsigned first, unsigned count) {
    while (!stop.load(std::memory_order_relaxed))
      for (unsigned w = first; w < first + count; ++w) {
        const slot_view s{slots + std::size_t(w) * stride};
        const unsigned r = std::atomic_ref<unsigned>(*s.req()).load(std::memory_order_acquire);
        if (r == seen[w]) continue;
        seen[w] = r;
        const std::uint64_t* args = s.args();
        std::uint32_t* results = s.results(calls);
        for (unsigned i = 0; i < calls * 32; ++i)  // (vectorised by the compiler)
          results[i] = static_cast<std::uint32_t>(args[i]) + static_cast<std::uint32_t>(args[i] >> 32);
        std::atomic_ref<unsigned>(*s.resp()).store(r, std::memory_order_release);
      }
  });
  const auto t0 = std::chrono::steady_clock::now();
  switch (calls) {
    case 0: client<0><<<blocks, threads>>>(dslots, rounds, bad); break;
    case 1: client<1><<<blocks, threads>>>(dslots, rounds, bad); break;
    default: client<max_calls><<<blocks, threads>>>(dslots, rounds, bad); break;
  }
  CHECK(cudaGetLastError());
  CHECK(cudaDeviceSynchronize());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stop = true;
  for (auto& t : ts) t.join();
  unsigned long long hbad = 0;
  CHECK(cudaMemcpy(&hbad, bad, sizeof hbad, cudaMemcpyDeviceToHost));
  CHECK(cudaFreeHost(slots));
  CHECK(cudaFree(bad));
  if (hbad) std::printf("TYPED FLOOR ERROR: %llu wrong results\n", hbad);
  return secs;
}

// M warp-calls a second (a request of `calls` calls counts `calls`; the
// bare floor's, one), the median of `runs`.
inline double rate(unsigned blocks, unsigned threads, unsigned calls, unsigned rounds, unsigned host_threads,
                   int runs) {
  std::vector<double> r;
  for (int i = 0; i < runs; ++i)
    r.push_back(double(blocks) * threads / 32 * rounds * std::max(calls, 1u) /
                run(blocks, threads, calls, rounds, host_threads) / 1e6);
  std::sort(r.begin(), r.end());
  return r[r.size() / 2];
}

}  // namespace typed_floor
