// gpustd::chrono — clocks for device code, with std::chrono's interface.
//
//   auto t0 = gpustd::chrono::steady_clock::now();
//   ...
//   auto us = gpustd::chrono::duration_cast<gpustd::chrono::microseconds>(
//       gpustd::chrono::steady_clock::now() - t0).count();
//
// steady_clock reads the device's global timer (%globaltimer, nanoseconds):
// no round trip to the host, one clock for every SM. system_clock is the
// host's CLOCK_REALTIME: device code adds the device timer to an offset that
// one thread measures with round trips (the shortest of three; half of it is
// the error bound, a few microseconds) and measures again when it is older
// than 50 ms,
// so it follows the host's clock (NTP included) without drift. The offset
// lives in the runtime's process block; threads that find it fresh pay no
// round trip, and each block keeps its own copy for a millisecond in shared
// memory. Host code gets the host's clocks.
//
// duration, time_point, duration_cast and the usual duration types are
// libcu++'s cuda::std::chrono in CUDA units and std::chrono on the CPU
// backend: the same code compiles for both. A steady_clock time point taken
// on the device and one taken in host code are different clocks (on the CPU
// backend they are the same).
#pragma once
#include <cstdint>
#include <ctime>

#include "gpustd/config.h"
#include "gpustd/hostcall/call.h"
#include "gpustd/platform/atomic.h"
#include "gpustd/platform/lane.h"
#include "gpustd/protocol/channel_symbol.h"
#include "gpustd/protocol/process.h"
#include "gpustd/protocol/process_calls.h"
#if GPUSTD_BACKEND_CUDA
#include <cuda/std/chrono>
#endif
#include <chrono>

namespace gpustd::chrono {

#if GPUSTD_BACKEND_CUDA
namespace base = ::cuda::std::chrono;
#else
namespace base = ::std::chrono;
#endif
using base::ceil;
using base::duration;
using base::duration_cast;
using base::floor;
using base::hours;
using base::microseconds;
using base::milliseconds;
using base::minutes;
using base::nanoseconds;
using base::round;
using base::seconds;
using base::time_point;
using base::time_point_cast;

namespace detail {

// Host clocks, in nanoseconds since their epochs.
inline std::int64_t host_steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
inline std::int64_t host_system_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Measures the offset (slow path of device_system_ns): one thread at a time;
// the others keep the offset they have, or wait for the first one.
GPUSTD_NOINLINE std::int64_t refresh_system_offset(protocol::clock_cache& c) {
  std::uint32_t idle = 0;
  if (platform::compare_exchange_acquire_device(c.refreshing, idle, 1u)) {
    const std::uint64_t at = platform::load_relaxed_device(c.synced_at);  // someone may have just measured
    if (platform::load_relaxed_device(c.offset_ns) == 0 || platform::timer_ns() - at > protocol::clock_refresh_ns) {
      // The host reads its clock somewhere in [t0, t1]: assume the middle,
      // so the error is at most half the round trip. The first trip may
      // find the host's server asleep (a slow, lopsided trip); the next
      // finds it awake: keep the shortest of three.
      std::uint64_t best_trip = ~0ull;
      std::int64_t best_offset = 0;
      for (int i = 0; i < 3; ++i) {
        const std::uint64_t t0 = platform::timer_ns();
        const auto host = call<process_calls::gpustd_realtime_ns>();
        const std::uint64_t t1 = platform::timer_ns();
        if (!host) break;
        if (t1 - t0 < best_trip) {
          best_trip = t1 - t0;
          best_offset = host.value() - static_cast<std::int64_t>(t0 + (t1 - t0) / 2);
        }
      }
      if (best_trip != ~0ull) {
        // Each word is whole on its own: a reader that sees a new offset
        // with an old time only refreshes again; 0 means "never measured".
        platform::store_relaxed_device(c.offset_ns, best_offset ? best_offset : 1);
        platform::store_relaxed_device(c.synced_at, platform::timer_ns());
      }
    }
    platform::store_release_device(c.refreshing, 0u);
  }
  std::int64_t offset;
  while ((offset = platform::load_relaxed_device(c.offset_ns)) == 0 &&
         platform::load_acquire_device(c.refreshing) != 0)
    platform::short_sleep(200);
  return offset;  // 0: the host did not answer
}

// This block's copy of the offset (protocol/process.h): shared memory, so
// the fast path touches no global memory and needs no special register.
GPUSTD_INLINE protocol::block_clock& own_clock() {
#if GPUSTD_BACKEND_CUDA
  __shared__ protocol::block_clock copy;  // one per block of every kernel that reads the clock
  return copy;
#else
  static thread_local protocol::block_clock copy{};  // (an OS thread per emulated lane)
  return copy;
#endif
}

GPUSTD_INLINE void keep_copy(protocol::block_clock& mine, std::int64_t offset, std::uint64_t at) {
  platform::store_relaxed_block(mine.offset_ns, offset);
  platform::store_relaxed_block(mine.copied_at, at);
  platform::store_relaxed_block(mine.check, static_cast<std::uint64_t>(offset) ^ at ^ protocol::block_clock_check);
}

// The slow path of device_system_ns: no runtime, or the block's copy of the
// offset is older than a millisecond (or not a copy at all).
GPUSTD_NOINLINE std::int64_t device_system_ns_slow(std::uint64_t t, protocol::block_clock& mine) {
  protocol::process_state* p = protocol::channel().process;
  if (!p) {  // no runtime: the CPU backend asks the host's clock; a GPU has only its timer
#if GPUSTD_BACKEND_CUDA
    return static_cast<std::int64_t>(t);
#else
    return host_system_ns();
#endif
  }
  protocol::clock_cache& c = p->clock;
  std::int64_t offset = platform::load_relaxed_device(c.offset_ns);
  const std::uint64_t at = platform::load_relaxed_device(c.synced_at);
  if (offset != 0 && t - at <= protocol::clock_refresh_ns) {
    keep_copy(mine, offset, t);
    return static_cast<std::int64_t>(t) + offset;
  }
  offset = refresh_system_offset(c);
  const std::uint64_t now = platform::timer_ns();
  if (offset != 0) keep_copy(mine, offset, now);
  return static_cast<std::int64_t>(now) + offset;
}

// The device's view of CLOCK_REALTIME (see the top of this file). The fast
// path, inlined: the block's copy of the offset in shared memory (volatile
// loads, issued before the timer so that they overlap its read), then the
// timer. Every millisecond the copy is taken again from the process block
// (two relaxed loads at device scope), every 50 ms the process block's
// offset is measured again.
GPUSTD_INLINE std::int64_t device_system_ns() {
  protocol::block_clock& mine = own_clock();
  const std::int64_t offset = platform::load_volatile_block(mine.offset_ns);
  const std::uint64_t at = platform::load_volatile_block(mine.copied_at);
  const std::uint64_t check = platform::load_volatile_block(mine.check);
  const std::uint64_t t = platform::timer_ns();
  if (offset != 0 && check == (static_cast<std::uint64_t>(offset) ^ at ^ protocol::block_clock_check) &&
      t - at < protocol::block_clock_refresh_ns)
    return static_cast<std::int64_t>(t) + offset;
  return device_system_ns_slow(t, mine);
}

}  // namespace detail

struct steady_clock {
  using duration = nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = chrono::time_point<steady_clock, duration>;
  static constexpr bool is_steady = true;
  GPUSTD_HOST_DEVICE static time_point now() noexcept {
#if GPUSTD_DEVICE_PASS || GPUSTD_BACKEND_CPU
    return time_point(duration(static_cast<rep>(platform::timer_ns())));
#else
    return time_point(duration(detail::host_steady_ns()));
#endif
  }
};

struct system_clock {
  using duration = nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = chrono::time_point<system_clock, duration>;
  static constexpr bool is_steady = false;
  GPUSTD_HOST_DEVICE static time_point now() noexcept {
#if GPUSTD_DEVICE_PASS
    return time_point(duration(detail::device_system_ns()));
#elif GPUSTD_BACKEND_CPU
    // "Device" code on the CPU backend runs on emulated lanes: it uses the
    // device's path, so that the cache is what the tests exercise.
    return time_point(duration(cpu::current_lane() ? detail::device_system_ns() : detail::host_system_ns()));
#else
    return time_point(duration(detail::host_system_ns()));
#endif
  }
  GPUSTD_HOST_DEVICE static std::time_t to_time_t(const time_point& t) noexcept {
    return static_cast<std::time_t>(floor<seconds>(t.time_since_epoch()).count());
  }
  GPUSTD_HOST_DEVICE static time_point from_time_t(std::time_t t) noexcept {
    return time_point(duration(static_cast<rep>(t) * 1'000'000'000));
  }
};

using high_resolution_clock = steady_clock;

}  // namespace gpustd::chrono

namespace gpustd::literals {
#if GPUSTD_BACKEND_CUDA
using namespace ::cuda::std::literals::chrono_literals;
#else
using namespace ::std::literals::chrono_literals;
#endif
}  // namespace gpustd::literals
