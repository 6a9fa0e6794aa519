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

namespace gpustd::detail {

// Blocks SIGPIPE in the calling thread for its lifetime (for writes made
// from a user's thread, such as the flush in runtime::synchronize), then
// drops a SIGPIPE the writes left pending and restores the old mask.
class sigpipe_blocked {
 public:
  sigpipe_blocked() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, &old_);
  }
  ~sigpipe_blocked() {
    discard_pending_sigpipe();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  sigpipe_blocked(const sigpipe_blocked&) = delete;
  sigpipe_blocked& operator=(const sigpipe_blocked&) = delete;

 private:
  sigset_t old_;
};

}  // namespace gpustd::detail
