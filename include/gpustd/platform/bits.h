// Bit counting for code both sides share, fast on a host compiled for the
// x86-64 baseline (no POPCNT instruction), where __builtin_popcount becomes a
// call into libgcc: the server counts a request's lanes once per request,
// and that call was 4% of a null request's cost to the host.
#pragma once
#include <bit>
#include <cstdint>

#include "gpustd/config.h"

namespace gpustd::platform {

GPUSTD_HOST_DEVICE constexpr unsigned popcount32(std::uint32_t x) {
#if defined(__CUDA_ARCH__)
  return static_cast<unsigned>(__popc(x));
#elif defined(__POPCNT__) || !(defined(__x86_64__) || defined(__i386__))
  return static_cast<unsigned>(std::popcount(x));
#else
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0f0f0f0fu;
  return (x * 0x01010101u) >> 24;
#endif
}

}  // namespace gpustd::platform
