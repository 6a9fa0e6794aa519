// Platform layer: the lane primitives gpustd needs, one implementation per
// backend with the same names and meanings.
//
//   lane_id()                 this thread's lane in its warp (0..31)
//   active_mask()             lanes that reached this point together
//   ballot(mask, pred)        bit l set when lane l of mask has pred true
//   broadcast(mask, v, src)   v as held by lane src
//   sync_warp(mask)           barrier (with memory ordering) among mask
//   match_any(mask, v)        lanes of mask holding the same v as the caller
//   max_of(mask, v)           the largest v among the lanes of mask
//   xor_of(mask, v)           the XOR of v (64-bit) over the lanes of mask
//   exclusive_sum(mask, v, t) sum of v over lanes of mask below the caller
//                             (t: over all of mask)
//   readable_by_warp(p)       whether other lanes may read *p (not a stack)
//   short_sleep(ns)           a pause for spin loops
//   timer_ns()                the device timer, nanoseconds
//   resident_warp_index()     a warp index unique among resident warps
//   resident_lane_index(n)    a thread index unique among resident threads,
//                             below n (none_resident if none)
//   block_index(), warp_in_block()
#pragma once
#include "gpustd/config.h"
#include "gpustd/platform/bits.h"
#if GPUSTD_BACKEND_CUDA
#include "gpustd/platform/cuda/lane.h"
#else
#include "gpustd/platform/cpu/lane.h"
#endif

namespace gpustd::platform {
GPUSTD_INLINE unsigned popcount(std::uint32_t m) { return popcount32(m); }
// Lowest lane of a non-empty mask.
GPUSTD_INLINE unsigned first_lane(std::uint32_t m) {
#if GPUSTD_BACKEND_CUDA
  return static_cast<unsigned>(__ffs(m) - 1);
#else
  return static_cast<unsigned>(__builtin_ctz(m));
#endif
}
// Lanes of `mask` below the caller.
GPUSTD_INLINE unsigned rank_in(std::uint32_t mask) { return popcount(mask & ((1u << lane_id()) - 1u)); }
}  // namespace gpustd::platform
