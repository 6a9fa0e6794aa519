// gpustd::random_device — non-deterministic random numbers from the host's
// entropy (getrandom), for seeding generators in device code:
//
//   gpustd::random_device rd;
//   std::uint64_t seed = (std::uint64_t(rd()) << 32) | rd();
//
// Each object fetches 12 words per round trip and hands them out one per
// call; the lanes of a warp that refill together share one request. Use one
// object per thread (it is not shared-safe, as std::random_device is not).
// When the host cannot be asked (no runtime, or getrandom failed) the
// program aborts with a message: a silent fallback to a fixed seed would
// make every "random" run the same.
#pragma once
#include <cstdint>

#include "gpustd/hostcall/call.h"
#include "gpustd/program/exit.h"
#include "gpustd/protocol/process_calls.h"

namespace gpustd {

class random_device {
 public:
  using result_type = unsigned int;
  GPUSTD_HOST_DEVICE random_device() {}
  random_device(const random_device&) = delete;
  random_device& operator=(const random_device&) = delete;

  GPUSTD_INLINE result_type operator()() {
    if (left_ == 0) refill();
    return words_[--left_];
  }
  GPUSTD_HOST_DEVICE static constexpr result_type min() { return 0; }
  GPUSTD_HOST_DEVICE static constexpr result_type max() { return ~0u; }
  GPUSTD_HOST_DEVICE double entropy() const noexcept { return 32.0; }

 private:
  GPUSTD_NOINLINE void refill() {
    const auto r = call<process_calls::gpustd_entropy>();
    if (!r) program_detail::fail_with_error("random_device: the host gave no entropy", r.error());
    for (unsigned i = 0; i < 12; ++i) words_[i] = r.value().w[i];
    left_ = 12;
  }
  std::uint32_t words_[12];
  unsigned left_ = 0;
};

}  // namespace gpustd
