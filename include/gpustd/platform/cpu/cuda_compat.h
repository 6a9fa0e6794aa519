// CUDA C++ on the CPU backend: the keywords, built-in variables, intrinsics
// and atomics that kernels use, so that a kernel written for CUDA compiles
// unchanged as plain C++ and runs on the warp emulator.
//
// Differences from a GPU, by design:
//  - `__shared__` variables are function-level statics: private to a block
//    only while one block runs at a time (the default; see launch_config).
//    `extern __shared__` (dynamic shared memory) is not supported.
//  - Memory is the process's memory; "device pointers" are host pointers.
#pragma once
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include "gpustd/platform/cpu/cuda_runtime_compat.h"
#include "gpustd/platform/cpu/lane.h"

#define __global__
#define __device__
#define __host__
#define __constant__
#define __shared__ static
#define __managed__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __restrict__ __restrict

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return {x, y, z}; }
};

inline thread_local uint3 threadIdx{0, 0, 0};
inline thread_local uint3 blockIdx{0, 0, 0};
inline thread_local dim3 blockDim{1, 1, 1};
inline thread_local dim3 gridDim{1, 1, 1};
inline constexpr int warpSize = 32;

// ---- synchronisation ----
inline void __syncthreads() { gpustd::cpu::block_barrier(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { gpustd::platform::sync_warp(mask); }
#define __activemask() (::gpustd::platform::active_mask())
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_block() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __nanosleep(unsigned ns) { gpustd::platform::short_sleep(ns); }
inline long long clock64() { return static_cast<long long>(gpustd::platform::timer_ns()); }
// A device fault: the lane stops and the launch fails with this error (on a
// GPU the kernel ends with cudaErrorLaunchFailure).
[[noreturn]] inline void __trap() { throw gpustd::cpu::device_fault("__trap() was called"); }

// ---- warp intrinsics ----
inline unsigned __ballot_sync(unsigned mask, int pred) { return gpustd::platform::ballot(mask, pred != 0); }
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) == mask; }
inline unsigned __match_any_sync(unsigned mask, unsigned v) { return gpustd::platform::match_any(mask, v); }

namespace gpustd::cpu::detail {
template <class T, class Src>
T shuffle_from(unsigned mask, T var, Src src_for) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "__shfl_*_sync: 8-byte trivially copyable types");
  std::uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  std::uint64_t all[32];
  gpustd::cpu::collective(mask, bits, all);
  unsigned src = src_for(gpustd::cpu::lane_id()) & 31u;
  T out;
  std::memcpy(&out, &all[src], sizeof(T));
  return out;
}
}  // namespace gpustd::cpu::detail

template <class T>
T __shfl_sync(unsigned mask, T var, int src, int width = 32) {
  return gpustd::cpu::detail::shuffle_from(mask, var, [=](unsigned lane) {
    return (lane & ~static_cast<unsigned>(width - 1)) + (static_cast<unsigned>(src) % width);
  });
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  return gpustd::cpu::detail::shuffle_from(mask, var, [=](unsigned lane) {
    unsigned base = lane & ~static_cast<unsigned>(width - 1);
    return (lane - base) >= delta ? lane - delta : lane;
  });
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  return gpustd::cpu::detail::shuffle_from(mask, var, [=](unsigned lane) {
    unsigned base = lane & ~static_cast<unsigned>(width - 1);
    return (lane - base) + delta < static_cast<unsigned>(width) ? lane + delta : lane;
  });
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32) {
  return gpustd::cpu::detail::shuffle_from(mask, var, [=](unsigned lane) {
    unsigned base = lane & ~static_cast<unsigned>(width - 1);
    unsigned other = lane ^ static_cast<unsigned>(lane_mask);
    return (other & ~static_cast<unsigned>(width - 1)) == base ? other : lane;
  });
}

// ---- bit intrinsics ----
inline int __popc(unsigned x) { return std::popcount(x); }
inline int __popcll(unsigned long long x) { return std::popcount(x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned>(x)); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(x)); }
inline unsigned __brev(unsigned x) {
  unsigned r = 0;
  for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
  return r;
}
template <class T>
T __ldg(const T* p) { return *p; }

// ---- atomics (device scope on a GPU; the process here) ----
namespace gpustd::cpu::detail {
template <class T>
std::atomic_ref<T> ref(T* p) { return std::atomic_ref<T>(*p); }
template <class T, class F>
T update(T* p, F f) {
  auto r = ref(p);
  T old = r.load(std::memory_order_relaxed);
  while (!r.compare_exchange_weak(old, f(old), std::memory_order_seq_cst, std::memory_order_relaxed)) {
  }
  return old;
}
}  // namespace gpustd::cpu::detail

#define GPUSTD_CPU_ATOMIC_INTEGER(T)                                                                  \
  inline T atomicAdd(T* p, T v) { return gpustd::cpu::detail::ref(p).fetch_add(v); }                \
  inline T atomicSub(T* p, T v) { return gpustd::cpu::detail::ref(p).fetch_sub(v); }                \
  inline T atomicExch(T* p, T v) { return gpustd::cpu::detail::ref(p).exchange(v); }                \
  inline T atomicAnd(T* p, T v) { return gpustd::cpu::detail::ref(p).fetch_and(v); }                \
  inline T atomicOr(T* p, T v) { return gpustd::cpu::detail::ref(p).fetch_or(v); }                  \
  inline T atomicXor(T* p, T v) { return gpustd::cpu::detail::ref(p).fetch_xor(v); }                \
  inline T atomicMin(T* p, T v) { return gpustd::cpu::detail::update(p, [=](T o) { return o < v ? o : v; }); } \
  inline T atomicMax(T* p, T v) { return gpustd::cpu::detail::update(p, [=](T o) { return o > v ? o : v; }); } \
  inline T atomicCAS(T* p, T cmp, T v) {                                                            \
    gpustd::cpu::detail::ref(p).compare_exchange_strong(cmp, v);                                    \
    return cmp;                                                                                     \
  }
GPUSTD_CPU_ATOMIC_INTEGER(int)
GPUSTD_CPU_ATOMIC_INTEGER(unsigned)
GPUSTD_CPU_ATOMIC_INTEGER(unsigned long long)
GPUSTD_CPU_ATOMIC_INTEGER(long long)
#undef GPUSTD_CPU_ATOMIC_INTEGER

inline unsigned atomicInc(unsigned* p, unsigned limit) {
  return gpustd::cpu::detail::update(p, [=](unsigned o) { return o >= limit ? 0u : o + 1; });
}
inline unsigned atomicDec(unsigned* p, unsigned limit) {
  return gpustd::cpu::detail::update(p, [=](unsigned o) { return (o == 0 || o > limit) ? limit : o - 1; });
}
inline float atomicAdd(float* p, float v) { return gpustd::cpu::detail::ref(p).fetch_add(v); }
inline double atomicAdd(double* p, double v) { return gpustd::cpu::detail::ref(p).fetch_add(v); }
inline float atomicExch(float* p, float v) { return gpustd::cpu::detail::ref(p).exchange(v); }
inline double atomicExch(double* p, double v) { return gpustd::cpu::detail::ref(p).exchange(v); }
inline unsigned short atomicCAS(unsigned short* p, unsigned short cmp, unsigned short v) {
  gpustd::cpu::detail::ref(p).compare_exchange_strong(cmp, v);
  return cmp;
}
