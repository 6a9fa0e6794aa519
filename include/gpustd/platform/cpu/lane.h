// CPU implementation of the lane primitives (see gpustd/platform/lane.h),
// on the warp emulator of gpustd/platform/cpu/emulator.h.
#pragma once
#include <bit>
#include <chrono>
#include <cstdint>
#include <thread>
#include "gpustd/platform/cpu/emulator.h"

namespace gpustd::platform {

inline unsigned lane_id() { return cpu::lane_id(); }

// Not inlined: its return address identifies the call site for convergence.
[[gnu::noinline]] inline std::uint32_t active_mask() {
  return cpu::active_mask(__builtin_return_address(0));
}
inline std::uint32_t ballot(std::uint32_t mask, bool pred) {
  std::uint64_t all[32];
  cpu::collective(mask, pred ? 1 : 0, all);
  std::uint32_t r = 0;
  for (unsigned l = 0; l < 32; ++l)
    if (((mask >> l) & 1u) && all[l]) r |= 1u << l;
  return r;
}
inline std::uint64_t broadcast(std::uint32_t mask, std::uint64_t v, unsigned src) {
  std::uint64_t all[32];
  cpu::collective(mask, v, all);
  return all[src & 31];
}
inline std::uint32_t broadcast(std::uint32_t mask, std::uint32_t v, unsigned src) {
  return static_cast<std::uint32_t>(broadcast(mask, static_cast<std::uint64_t>(v), src));
}
inline void sync_warp(std::uint32_t mask) {
  std::uint64_t all[32];
  cpu::collective(mask, 0, all);
}
inline std::uint32_t match_any(std::uint32_t mask, std::uint32_t v) {
  std::uint64_t all[32];
  cpu::collective(mask, v, all);
  std::uint32_t r = 0;
  for (unsigned l = 0; l < 32; ++l)
    if (((mask >> l) & 1u) && all[l] == v) r |= 1u << l;
  return r;
}
inline std::uint32_t max_of(std::uint32_t mask, std::uint32_t v) {
  std::uint64_t all[32];
  cpu::collective(mask, v, all);
  std::uint32_t m = 0;
  for (unsigned l = 0; l < 32; ++l)
    if (((mask >> l) & 1u) && all[l] > m) m = static_cast<std::uint32_t>(all[l]);
  return m;
}
inline std::uint64_t xor_of(std::uint32_t mask, std::uint64_t v) {
  std::uint64_t all[32];
  cpu::collective(mask, v, all);
  std::uint64_t x = 0;
  for (unsigned l = 0; l < 32; ++l)
    if ((mask >> l) & 1u) x ^= all[l];
  return x;
}
inline std::uint64_t exclusive_sum(std::uint32_t mask, std::uint64_t v, std::uint64_t& total) {
  std::uint64_t all[32];
  cpu::collective(mask, v, all);
  const unsigned me = lane_id();
  std::uint64_t before = 0, sum = 0;
  for (unsigned l = 0; l < 32; ++l)
    if ((mask >> l) & 1u) {
      if (l < me) before += all[l];
      sum += all[l];
    }
  total = sum;
  return before;
}
// Emulated lanes share one address space: every pointer is readable by all.
inline bool readable_by_warp(const void* p) { return p != nullptr; }
// CPU backend: all "device" memory is the process's, which the host reaches.
inline bool in_global_memory(const void* p) { return p != nullptr; }
// Spin loops on the CPU must give the core away: lanes outnumber cores.
inline void short_sleep(unsigned ns) {
  if (ns < 1000) std::this_thread::yield();
  else std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
}
inline std::uint64_t timer_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}
inline std::uint32_t resident_warp_index() {
  auto* c = cpu::current_lane();
  return c ? c->global_warp : 0;
}
inline constexpr std::uint32_t none_resident = ~0u;
// An index unique among the threads running at once, below `count`, for
// tables of a word per resident thread; none_resident where the thread has
// none (outside a launch, more warps running than the backend numbers).
inline std::uint32_t resident_lane_index(std::uint32_t count) {
  auto* c = cpu::current_lane();
  if (!c || c->resident_warp == cpu::no_resident_warp) return none_resident;
  const std::uint32_t i = c->resident_warp * 32 + c->lane;
  return i < count ? i : none_resident;
}
// The calling thread's word: every emulated lane is an OS thread, so a
// thread_local one (no table). It starts at 0 for each `owner` (the
// structure the word belongs to), so a new runtime starts afresh.
inline std::uint32_t& thread_word(std::uint32_t*, std::uint32_t, const void* owner) {
  struct word {
    const void* owner;
    std::uint32_t value;
  };
  thread_local word w{nullptr, 0};
  if (w.owner != owner) w = {owner, 0};
  return w.value;
}
inline std::uint32_t block_index() {
  auto* c = cpu::current_lane();
  return c ? c->block_index : 0;
}
inline std::uint32_t warp_in_block() {
  auto* c = cpu::current_lane();
  return c ? c->warp_in_block : 0;
}

}  // namespace gpustd::platform
