// CUDA implementation of the lane primitives (see gpustd/platform/lane.h).
#pragma once
#include <cstdint>
#include "gpustd/config.h"

namespace gpustd::platform {

// (Special registers that never change for a thread are read with plain asm,
// not volatile, so that the compiler may read them once per function.)
GPUSTD_INLINE unsigned lane_id() {
  unsigned id;
  asm("mov.u32 %0, %%laneid;" : "=r"(id));
  return id;
}
// Lanes that reached this call together (under independent thread scheduling
// this may be any subset of the warp that contains the caller).
GPUSTD_INLINE std::uint32_t active_mask() { return __activemask(); }
GPUSTD_INLINE std::uint32_t ballot(std::uint32_t mask, bool pred) { return __ballot_sync(mask, pred); }
GPUSTD_INLINE std::uint32_t broadcast(std::uint32_t mask, std::uint32_t v, unsigned src) {
  return __shfl_sync(mask, v, src);
}
GPUSTD_INLINE std::uint64_t broadcast(std::uint32_t mask, std::uint64_t v, unsigned src) {
  return __shfl_sync(mask, static_cast<unsigned long long>(v), src);
}
GPUSTD_INLINE void sync_warp(std::uint32_t mask) { __syncwarp(mask); }
GPUSTD_INLINE std::uint32_t match_any(std::uint32_t mask, std::uint32_t v) { return __match_any_sync(mask, v); }
GPUSTD_INLINE std::uint32_t max_of(std::uint32_t mask, std::uint32_t v) { return __reduce_max_sync(mask, v); }
GPUSTD_INLINE std::uint64_t xor_of(std::uint32_t mask, std::uint64_t v) {
  const std::uint32_t lo = __reduce_xor_sync(mask, static_cast<std::uint32_t>(v));
  const std::uint32_t hi = __reduce_xor_sync(mask, static_cast<std::uint32_t>(v >> 32));
  return std::uint64_t(lo) | (std::uint64_t(hi) << 32);
}
// Sum of v over the lanes of mask below the caller; `total` gets the sum over
// all of mask.
GPUSTD_INLINE std::uint64_t exclusive_sum(std::uint32_t mask, std::uint64_t v, std::uint64_t& total) {
  std::uint64_t before = 0, sum = 0;
  const unsigned me = lane_id();
  if (mask == 0xffffffffu) {
    std::uint64_t inclusive = v;
    for (unsigned d = 1; d < 32; d <<= 1) {
      const std::uint64_t up = __shfl_up_sync(mask, static_cast<unsigned long long>(inclusive), d);
      if (me >= d) inclusive += up;
    }
    total = __shfl_sync(mask, static_cast<unsigned long long>(inclusive), 31);
    return inclusive - v;
  }
  for (std::uint32_t m = mask; m; m &= m - 1) {
    const unsigned src = static_cast<unsigned>(__ffs(m) - 1);
    const std::uint64_t x = __shfl_sync(mask, static_cast<unsigned long long>(v), src);
    if (src < me) before += x;
    sum += x;
  }
  total = sum;
  return before;
}
// Whether other lanes of the warp can read *p: global and shared memory yes;
// a thread's local memory (its stack) no.
GPUSTD_INLINE bool readable_by_warp(const void* p) { return p && (__isGlobal(p) || __isShared(p)); }
// Whether p is in global memory: the only memory the host may reach by DMA.
GPUSTD_INLINE bool in_global_memory(const void* p) { return p && __isGlobal(p); }
// A short pause inside a spin loop.
GPUSTD_INLINE void short_sleep(unsigned ns) { __nanosleep(ns); }
// Nanoseconds from the device's global timer (no host round trip).
GPUSTD_INLINE std::uint64_t timer_ns() {
  std::uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
// An index for this warp that is unique among the warps resident on the GPU
// at this moment: the hardware warp slot (SM id x warp slots per SM + warp id).
// It stays the same for a warp's lifetime unless the warp is preempted and
// migrated, which only debuggers and time slicing between contexts do; so
// it is read with plain asm (the compiler may read it once per function,
// and then sees that two uses name the same thread_word below).
GPUSTD_INLINE std::uint32_t resident_warp_index() {
  unsigned sm, nwarp, warp;
  asm("mov.u32 %0, %%smid;" : "=r"(sm));
  asm("mov.u32 %0, %%nwarpid;" : "=r"(nwarp));
  asm("mov.u32 %0, %%warpid;" : "=r"(warp));
  return sm * nwarp + warp;
}
inline constexpr std::uint32_t none_resident = ~0u;
// An index unique among the threads running at once, below `count`, for
// tables of a word per thread the GPU can hold resident; none_resident when
// the table is shorter than that.
GPUSTD_INLINE std::uint32_t resident_lane_index(std::uint32_t count) {
  const std::uint32_t i = resident_warp_index() * warp_size + lane_id();
  return i < count ? i : none_resident;
}
// The calling thread's word of `table` (`count` words, one per thread the
// GPU can hold resident): no other running thread has it. (`owner` is for
// the CPU backend.)
// (The table has a word per thread the GPU holds, so the index is below
// `count`; the remainder, a long division, is only a guard.)
GPUSTD_INLINE std::uint32_t& thread_word(std::uint32_t* table, std::uint32_t count, const void*) {
  const std::uint32_t i = resident_warp_index() * warp_size + lane_id();
  return table[i < count ? i : i % count];
}
GPUSTD_INLINE std::uint32_t block_index() {
  return blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
}
GPUSTD_INLINE std::uint32_t warp_in_block() {
  return (threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)) / warp_size;
}

}  // namespace gpustd::platform
