// The costs of the primitives the hostcall protocol and the clocks are built
// from, measured on the GPU with no host runtime: what a design choice costs
// before it is made. One warp (32 lanes) unless said; ns per operation, the
// mean over a loop timed with %globaltimer.
//
//   channel_anatomy
//
// Rows:
//   device atomics   fetch_or (acquire, device scope) on a word in device
//                    memory, as lock_slot does; then a relaxed store back
//   host writes      a 512-byte request (16 bytes a lane) and a doorbell to
//                    pinned host memory: with a release (fence) before the
//                    doorbell, and without
//   host reads       one load of a host word (relaxed and acquire, system
//                    scope): a PCIe round trip; eight dependent loads of
//                    eight words (what eight future get()s do)
//   clock paths      %globaltimer alone, then with a per-block copy of an
//                    offset in shared memory read before or after it, as
//                    three words or one 16-byte load; the SM's cycle
//                    counter (%clock64) alone and with the same copy
//   queue            a queued asynchronous call's stores to host memory
//                    (status and 8 argument bytes a lane): each lane's cell
//                    its own line, as two stores or one 16-byte store, or
//                    the lanes' words side by side; and with a release
//                    doorbell after every 8 (a batch's send)
#include <cuda/atomic>

#include <array>
#include <cstdint>
#include <utility>
#include <cstdio>

#include "cuda_check.h"
#include "device_clock.h"

namespace {

using sys_u64 = cuda::atomic_ref<std::uint64_t, cuda::thread_scope_system>;
using sys_u32 = cuda::atomic_ref<std::uint32_t, cuda::thread_scope_system>;
using dev_u64 = cuda::atomic_ref<std::uint64_t, cuda::thread_scope_device>;
using blk_u64 = cuda::atomic_ref<std::uint64_t, cuda::thread_scope_block>;

enum probe : int {
  lock_unlock,
  request_with_release,
  request_without_fence,
  read_host_relaxed,
  read_host_acquire,
  eight_dependent_reads,
  timer_only,
  timer_then_three_loads,
  three_loads_then_timer,
  vector_load_then_timer,
  cycles_only,
  cycles_then_three_loads,
  three_loads_then_cycles,
  volatile_loads_then_cycles_32,
  volatile_loads_then_timer,
  queue_two_stores,
  queue_one_vector_store,
  queue_coalesced_stores,
  queue_two_stores_fence_per_8,
  queue_coalesced_fence_per_8,
  get_eight_own_lines,
  get_eight_side_by_side,
  device_word_store_then_load,
  probes
};
const char* const names[probes] = {
    "device atomic: lock (fetch_or acquire) + unlock",
    "host write: 512 B request + release doorbell",
    "host write: 512 B request + relaxed doorbell",
    "host read: one load, relaxed system",
    "host read: one load, acquire system",
    "host read: 8 dependent loads (per load)",
    "clock: %globaltimer",
    "clock: timer, then 3 shared loads + check",
    "clock: 3 shared loads, then timer + check",
    "clock: one 16-byte shared load, then timer",
    "clock: %clock64",
    "clock: %clock64, then 3 shared loads + check",
    "clock: 3 shared loads, then %clock64 + check",
    "clock: 3 volatile loads, %clock64, 32-bit count",
    "clock: 3 volatile loads, then timer + check",
    "queue: 2 x 8 B a lane, each lane its own line",
    "queue: 1 x 16 B a lane, each lane its own line",
    "queue: 2 x 8 B a lane, lanes side by side",
    "queue: own lines, fence.sys + bell per 8",
    "queue: side by side, fence.sys + bell per 8",
    "get: 8 status loads a lane, own lines (per 8)",
    "get: 8 status loads a lane, side by side (per 8)",
    "device word: plain load after own store (chain)",
};

struct alignas(16) block_copy {
  std::int64_t offset;
  std::uint64_t at_and_check;
};

// A kernel per probe (the switch folds away), so that no loop carries the
// other probes' code: a loop with a run-time switch around a timer read
// measured 94 ns per read, against 4 ns for the timer alone.
template <int which>
__global__ void run(unsigned n, std::uint64_t* dev_word, unsigned char* host_frame,
                    std::uint32_t* host_bell, std::uint64_t* host_words, double* ns, std::uint64_t* sink) {
  __shared__ block_copy copy;
  __shared__ std::uint64_t three[3];
  if (threadIdx.x == 0) {
    copy.offset = 12345;
    copy.at_and_check = std::uint64_t(12345u ^ 0x5eedu) << 32;  // at = 0, check in the high half
    three[0] = 12345;
    three[1] = 0;
    three[2] = 12345 ^ 0x5eed;
  }
  __syncthreads();
  const unsigned lane = threadIdx.x;
  std::uint64_t acc = 0;
  const std::uint64_t t0 = timer();
  for (unsigned i = 0; i < n; ++i) {
    switch (which) {
      case lock_unlock:
        if (lane == 0) {
          acc += dev_u64(*dev_word).fetch_or(1ull << 63, cuda::memory_order_acquire);
          dev_u64(*dev_word).store(i, cuda::memory_order_relaxed);
        }
        __syncwarp();
        break;
      case request_with_release:
      case request_without_fence: {
        auto* cell = reinterpret_cast<std::uint64_t*>(host_frame + 64 + 16 * lane);
        cell[0] = i;
        cell[1] = lane;
        __syncwarp();
        if (lane == 0) {
          reinterpret_cast<std::uint64_t*>(host_frame)[0] = i;
          if (which == request_with_release)
            sys_u32(*host_bell).store(i, cuda::memory_order_release);
          else
            sys_u32(*host_bell).store(i, cuda::memory_order_relaxed);
        }
        __syncwarp();
        break;
      }
      case read_host_relaxed:
        if (lane == 0) acc += sys_u64(host_words[acc & 1]).load(cuda::memory_order_relaxed);
        __syncwarp();
        break;
      case read_host_acquire:
        if (lane == 0) acc += sys_u64(host_words[acc & 1]).load(cuda::memory_order_acquire);
        __syncwarp();
        break;
      case eight_dependent_reads:
        if (lane == 0) acc += sys_u64(host_words[8 * (i % 8) + (acc & 1)]).load(cuda::memory_order_acquire);
        __syncwarp();
        break;
      case timer_only:
        acc += timer();
        break;
      case timer_then_three_loads: {
        const std::uint64_t t = timer();
        const std::uint64_t o = blk_u64(three[0]).load(cuda::memory_order_relaxed);
        const std::uint64_t a = blk_u64(three[1]).load(cuda::memory_order_relaxed);
        const std::uint64_t c = blk_u64(three[2]).load(cuda::memory_order_relaxed);
        if (c != (o ^ a ^ 0x5eed) || t - a > (1ull << 62)) acc += 7;  // never, but the compiler can't know
        acc += t + o;
        break;
      }
      case three_loads_then_timer: {
        const std::uint64_t o = blk_u64(three[0]).load(cuda::memory_order_relaxed);
        const std::uint64_t a = blk_u64(three[1]).load(cuda::memory_order_relaxed);
        const std::uint64_t c = blk_u64(three[2]).load(cuda::memory_order_relaxed);
        const std::uint64_t t = timer();
        if (c != (o ^ a ^ 0x5eed) || t - a > (1ull << 62)) acc += 7;
        acc += t + o;
        break;
      }
      case vector_load_then_timer: {
        std::uint64_t o, w;
        asm volatile("ld.shared.v2.u64 {%0, %1}, [%2];"
                     : "=l"(o), "=l"(w)
                     : "r"(static_cast<unsigned>(__cvta_generic_to_shared(&copy))));
        const std::uint64_t t = timer();
        if ((w >> 32) != (static_cast<std::uint32_t>(o) ^ static_cast<std::uint32_t>(w) ^ 0x5eedu) ||
            t - (w & 0xffffffffu) > (1ull << 62))
          acc += 7;
        acc += t + o;
        break;
      }
      case cycles_only:
        acc += cycles();
        break;
      case cycles_then_three_loads:
      case three_loads_then_cycles: {
        std::uint64_t c = which == cycles_then_three_loads ? cycles() : 0;
        const std::uint64_t o = blk_u64(three[0]).load(cuda::memory_order_relaxed);
        const std::uint64_t a = blk_u64(three[1]).load(cuda::memory_order_relaxed);
        const std::uint64_t k = blk_u64(three[2]).load(cuda::memory_order_relaxed);
        if (which == three_loads_then_cycles) c = cycles();
        const std::uint64_t since = c - a;
        if (k != (o ^ a ^ 0x5eed) || since > (1ull << 62)) acc += 7;
        acc += o + ((since * 33098u) >> 16);
        break;
      }
      case volatile_loads_then_cycles_32:
      case volatile_loads_then_timer: {
        const volatile std::uint64_t* v = three;
        const std::uint64_t o = v[0], a = v[1], k = v[2];
        const std::uint64_t c = which == volatile_loads_then_timer ? timer() : cycles();
        const std::uint64_t since = c - a;
        if (since < 16384 && k == (o ^ a ^ 0x5eed)) {
          acc += which == volatile_loads_then_timer ? o + c : o + ((static_cast<std::uint32_t>(since) * 33098u) >> 16);
        } else {
          acc += 7;
          three[1] = c;  // (a new reading, as the slow path would take)
          three[2] = o ^ c ^ 0x5eed;
        }
        break;
      }
      // A queued asynchronous call's stores (hostcall/future_queue.h): its
      // arguments and its status, to host memory. Cells of 64 B, lane l's
      // k-th call in cell l * 8 + k (its own line, as now), or statuses and
      // data words of a warp's k-th calls side by side (256 B each).
      case queue_two_stores:
      case queue_two_stores_fence_per_8:
      case queue_coalesced_stores:
      case queue_coalesced_fence_per_8: {
        const bool own_lines = which == queue_two_stores || which == queue_two_stores_fence_per_8;
        unsigned char* cells = host_frame + 4096;
        volatile std::uint64_t* status = reinterpret_cast<std::uint64_t*>(
            own_lines ? cells + 64 * (lane * 8 + i % 8) : cells + 512 * (i % 8) + 8 * lane);
        volatile std::uint64_t* data = own_lines ? status + 1 : status + 512;  // (side by side: 4 KiB on)
        *data = i;
        *status = i | (1ull << 63);
        if ((which == queue_two_stores_fence_per_8 || which == queue_coalesced_fence_per_8) && i % 8 == 7) {
          __syncwarp();
          if (lane == 0) sys_u32(*host_bell).store(i, cuda::memory_order_release);
          __syncwarp();
        }
        break;
      }
      case queue_one_vector_store: {
        auto* cell = reinterpret_cast<std::uint64_t*>(host_frame + 4096 + 64 * (lane * 8 + i % 8));
        asm volatile("st.global.v2.u64 [%0], {%1, %2};" ::"l"(cell), "l"(i | (1ull << 63)), "l"(std::uint64_t(i))
                     : "memory");
        break;
      }
      // A thread's own state word in device memory (the future queue's),
      // stored and then loaded again: does the load hit L1?
      case device_word_store_then_load: {
        std::uint32_t* w = reinterpret_cast<std::uint32_t*>(dev_word) + lane;
        std::uint32_t v;
        asm volatile("ld.global.u32 %0, [%1];" : "=r"(v) : "l"(w) : "memory");
        asm volatile("st.global.u32 [%0], %1;" ::"l"(w), "r"(v + 1) : "memory");
        acc += v;
        break;
      }
      // A first get's read-ahead: the statuses of a lane's 8 calls, with
      // relaxed system-scope loads issued together.
      case get_eight_own_lines:
      case get_eight_side_by_side: {
        std::uint64_t v[8];
        for (int k = 0; k < 8; ++k) {
          const unsigned at = which == get_eight_own_lines ? 64 * (lane * 8 + k) : 512 * k + 8 * lane;
          v[k] = sys_u64(*reinterpret_cast<std::uint64_t*>(host_frame + 4096 + at)).load(cuda::memory_order_relaxed);
        }
        for (int k = 0; k < 8; ++k) acc += v[k];
        __syncwarp();
        break;
      }
    }
  }
  const std::uint64_t t1 = timer();
  if (lane == 0) ns[which] = double(t1 - t0) / n;
  if (acc == 42) *sink = acc;
}

template <int... P>
constexpr auto kernel_table(std::integer_sequence<int, P...>) {
  return std::array<void (*)(unsigned, std::uint64_t*, unsigned char*, std::uint32_t*, std::uint64_t*, double*,
                             std::uint64_t*),
                    sizeof...(P)>{run<P>...};
}

}  // namespace

int main() {
  const auto kernels = kernel_table(std::make_integer_sequence<int, probes>{});
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::uint64_t* dev_word = nullptr;
  std::uint64_t* sink = nullptr;
  double* ns = nullptr;
  unsigned char* host_frame = nullptr;
  std::uint32_t* host_bell = nullptr;
  std::uint64_t* host_words = nullptr;
  CHECK(cudaMalloc(&dev_word, 256));
  CHECK(cudaMalloc(&sink, 64));
  CHECK(cudaMemset(dev_word, 0, 256));
  CHECK(cudaMallocManaged(&ns, probes * sizeof(double)));
  CHECK(cudaHostAlloc(&host_frame, 4096 + 32 * 8 * 64, cudaHostAllocMapped));
  CHECK(cudaHostAlloc(&host_bell, 64, cudaHostAllocMapped));
  CHECK(cudaHostAlloc(&host_words, 4096, cudaHostAllocMapped));
  for (int i = 0; i < 512; ++i) host_words[i] = 0;
  std::printf("channel anatomy on %s: ns per operation, one warp\n", prop.name);
  for (int p = 0; p < probes; ++p) {
    const unsigned n = p >= timer_only && p < queue_two_stores ? 200000 : 20000;
    kernels[p]<<<1, 32>>>(n / 10, dev_word, host_frame, host_bell, host_words, ns, sink);  // warm-up
    CHECK(cudaDeviceSynchronize());
    kernels[p]<<<1, 32>>>(n, dev_word, host_frame, host_bell, host_words, ns, sink);
    CHECK(cudaDeviceSynchronize());
    std::printf("%-50s %8.1f\n", names[p], ns[p]);
  }
  return 0;
}
