// Server and pool threads write to descriptors the device names (stdout may
// be a closed pipe). They block SIGPIPE so that such a write fails with EPIPE,
// which goes back to the device, instead of killing the host process.
#pragma once
#include <signal.h>

#include <ctime>

namespace gpustd::detail {

// Whether the calling thread blocked SIGPIPE for its lifetime (a thread of
// the runtime's own).
inline thread_local bool sigpipe_blocked_for_good = false;

inline void block_sigpipe_in_this_thread() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  sigpipe_blocked_for_good = true;
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
// drops a SIGPIPE the writes left pending and restores the old mask. In a
// thread that blocked SIGPIPE for good it costs nothing: the three system
// calls per write were most of a console write's host time (each one made
// under the stream's write lock: 13 M lines/s at full GPU into /dev/null
// on an H100, bench/services_bench.cu); such a thread drops a pending
// SIGPIPE only after a write failed with EPIPE (write_failed_with_epipe).
class sigpipe_blocked {
 public:
  sigpipe_blocked() : change_(!sigpipe_blocked_for_good) {
    if (!change_) return;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, &old_);
  }
  ~sigpipe_blocked() {
    if (!change_) return;
    discard_pending_sigpipe();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  // After a write failed with EPIPE: the SIGPIPE it raised is dropped now in
  // a thread that blocked SIGPIPE for good (else by the destructor).
  void write_failed_with_epipe() const {
    if (!change_) discard_pending_sigpipe();
  }
  sigpipe_blocked(const sigpipe_blocked&) = delete;
  sigpipe_blocked& operator=(const sigpipe_blocked&) = delete;

 private:
  bool change_;  // whether this object blocked SIGPIPE (and restores the mask)
  sigset_t old_;
};

}  // namespace gpustd::detail
