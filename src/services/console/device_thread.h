// One device thread, as the host tells it apart: the slot its request came
// through, its block, warp and lane (unique among running threads).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

#include "gpustd/runtime/request.h"

namespace gpustd::detail {

struct device_thread {
  std::uint32_t slot, block, warp, lane;
  bool operator==(const device_thread&) const = default;
  static device_thread of(const request& r, unsigned rank) {
    return {r.slot(), r.block(), r.warp(), r.lane_of(rank)};
  }
};

struct device_thread_hash {
  std::size_t operator()(const device_thread& k) const noexcept {
    return std::hash<std::uint64_t>()((std::uint64_t(k.slot) << 37) ^ (std::uint64_t(k.block) << 10) ^
                                      (std::uint64_t(k.warp) << 5) ^ k.lane);
  }
};

}  // namespace gpustd::detail
