// The built-in hostcalls of the process services (clocks, entropy, exit),
// declared as typed hostcalls (hostcall/declare.h); every runtime registers
// them. Device code uses them through time/, random/ and program/.
#pragma once
#include <cstdint>

#include "gpustd/hostcall/declare.h"
#include "gpustd/strings/string_view.h"

namespace gpustd::process_calls {

// 48 bytes of host entropy (getrandom), the most one call returns inline.
struct entropy_words {
  std::uint32_t w[12];
};

// The host's CLOCK_REALTIME in nanoseconds since the Unix epoch.
GPUSTD_HOSTCALL(gpustd_realtime_ns, std::int64_t());
GPUSTD_HOSTCALL(gpustd_entropy, entropy_words());
// End the process: serve what was already sent, flush output, close files,
// exit with `code`. Never answered.
GPUSTD_HOSTCALL(gpustd_exit, void(int code));
// The same after writing "gpustd: <message>" to stderr, with exit code 134.
GPUSTD_HOSTCALL(gpustd_abort, void(gpustd::string_view message));

}  // namespace gpustd::process_calls
