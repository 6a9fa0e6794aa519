// The device's clocks for benchmarks that time themselves: the SM's cycle
// counter and the global timer (ns), read without a host round trip.
#pragma once
#include <cstdint>

__device__ __forceinline__ std::uint64_t cycles() {
  std::uint64_t c;
  asm volatile("mov.u64 %0, %%clock64;" : "=l"(c));
  return c;
}

__device__ __forceinline__ std::uint64_t timer() {
  std::uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
