// The environment in device code:
//
//   if (const char* v = gpustd::getenv("WORDFREQ_TOP")) ...
//
// The runtime copies the host process's environment into device memory when
// it starts; getenv searches that copy (no round trip) and returns a pointer
// into it, or null. Changes the host makes later are not seen.
#pragma once
#include "gpustd/config.h"
#include "gpustd/protocol/channel_symbol.h"
#include "gpustd/protocol/process.h"

namespace gpustd {

GPUSTD_NOINLINE const char* getenv(const char* name) {
  const protocol::process_state* p = protocol::channel().process;
  if (!p || !p->envp || !name || !*name) return nullptr;
  for (char** e = p->envp; *e; ++e) {
    const char* a = *e;
    const char* b = name;
    while (*b && *a == *b) ++a, ++b;
    if (*b == 0 && *a == '=') return a + 1;
  }
  return nullptr;
}

// Every "NAME=value" entry of that copy, ending in null (null without a runtime).
GPUSTD_INLINE char** environment() {
  const protocol::process_state* p = protocol::channel().process;
  return p ? p->envp : nullptr;
}

}  // namespace gpustd
