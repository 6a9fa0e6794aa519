// Server and pool threads write to descriptors the device names (stdout may
// be a closed pipe). They block SIGPIPE so that such a write fails with EPIPE,
// which goes back to the device, instead of killing the host process.
#pragma once
#include <signal.h>

#include <ctime>

namespace gpustd::detail {

inline void block_sigpipe_in_this_thread() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

// Takes away a SIGPIPE left pending by a failed write (SIGPIPE is blocked here).
inline void discard_pending_sigpipe() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  timespec zero{0, 0};
  while (sigtimedwait(&s, nullptr, &zero) == SIGPIPE) {
  }
}

}  // namespace gpustd::detail
