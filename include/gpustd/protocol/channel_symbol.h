// How device code finds the channel without an extra kernel argument.
//
// CUDA: every translation unit that includes gpustd gets its own
// `__constant__` copy of the channel_view (so no relocatable device code is
// needed) and registers that copy's address with the library during static
// initialisation; the runtime writes the view into every registered copy when
// it starts (and clears it when it stops). A kernel launched with no runtime
// sees an empty view and its hostcalls fail with -ENODEV instead of hanging.
//
// CPU backend: one process-wide variable.
#pragma once
#include "gpustd/config.h"
#include "gpustd/protocol/layout.h"

namespace gpustd::protocol {

// Host side, in the library: remember a translation unit's copy of the view.
void register_channel_symbol(const void* symbol);

#if GPUSTD_BACKEND_CUDA
namespace {
__constant__ channel_view tu_channel;
#if !GPUSTD_DEVICE_PASS
struct tu_channel_registrar {
  tu_channel_registrar() { register_channel_symbol(&tu_channel); }
};
[[maybe_unused]] tu_channel_registrar tu_channel_registration;
#endif
}  // namespace
__device__ __forceinline__ const channel_view& channel() { return tu_channel; }
#else
inline channel_view cpu_channel;  // written by the runtime while no kernel runs
inline const channel_view& channel() { return cpu_channel; }
#endif

}  // namespace gpustd::protocol
