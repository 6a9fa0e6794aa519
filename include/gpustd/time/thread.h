// gpustd::this_thread — sleeping in device code.
//
//   gpustd::this_thread::sleep_for(gpustd::chrono::milliseconds(5));
//
// The thread sleeps in steps of at most a millisecond (__nanosleep on the
// GPU, which frees the warp's issue slots for other warps; an OS sleep on
// the CPU backend) until steady_clock passes the deadline, so it never
// returns early. sleep_until takes a steady_clock or system_clock time point.
#pragma once
#include "gpustd/platform/lane.h"
#include "gpustd/time/chrono.h"

namespace gpustd::this_thread {

namespace detail {
GPUSTD_NOINLINE void sleep_until_steady_ns(std::int64_t deadline) {
  for (;;) {
    const std::int64_t now = chrono::steady_clock::now().time_since_epoch().count();
    if (now >= deadline) return;
    const std::int64_t left = deadline - now;
    platform::short_sleep(static_cast<unsigned>(left < 1'000'000 ? left : 1'000'000));
  }
}
}  // namespace detail

template <class Rep, class Period>
GPUSTD_INLINE void sleep_for(const chrono::duration<Rep, Period>& d) {
  const auto ns = chrono::duration_cast<chrono::nanoseconds>(d).count();
  if (ns <= 0) return;
  detail::sleep_until_steady_ns(chrono::steady_clock::now().time_since_epoch().count() + ns);
}

template <class Duration>
GPUSTD_INLINE void sleep_until(const chrono::time_point<chrono::steady_clock, Duration>& t) {
  detail::sleep_until_steady_ns(chrono::duration_cast<chrono::nanoseconds>(t.time_since_epoch()).count());
}

// A system_clock deadline becomes a steady one once (a later change of the
// host's clock does not move it, as std::this_thread::sleep_until allows).
template <class Duration>
GPUSTD_INLINE void sleep_until(const chrono::time_point<chrono::system_clock, Duration>& t) {
  sleep_for(t - chrono::system_clock::now());
}

// Lets other warps run (a short sleep).
GPUSTD_INLINE void yield() { platform::short_sleep(100); }

}  // namespace gpustd::this_thread
