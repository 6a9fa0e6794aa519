// SIGPIPE handling of the threads that write descriptors the device names
// (src/runtime/thread_signals.h): a write to a pipe nobody reads fails with
// EPIPE, the process lives, no SIGPIPE stays pending, and a user's thread
// gets its signal mask back.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "runtime/thread_signals.h"

namespace {

bool sigpipe_in(const sigset_t& s) { return sigismember(&s, SIGPIPE) == 1; }

bool sigpipe_pending() {
  sigset_t s;
  sigemptyset(&s);
  sigpending(&s);
  return sigpipe_in(s);
}

bool sigpipe_masked() {
  sigset_t s;
  pthread_sigmask(SIG_SETMASK, nullptr, &s);
  return sigpipe_in(s);
}

// A write to a pipe whose reading end is closed; returns its errno.
int write_to_closed_pipe() {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  ::close(fds[0]);
  const ssize_t w = ::write(fds[1], "x", 1);
  const int e = w < 0 ? errno : 0;
  ::close(fds[1]);
  return e;
}

TEST(ThreadSignals, ARuntimeThreadDropsTheSigpipeOfAFailedWriteAndKeepsItBlocked) {
  bool pending_after = true, masked_after = false;
  int err = 0;
  std::thread([&] {
    gpustd::detail::block_sigpipe_in_this_thread();
    {
      gpustd::detail::sigpipe_blocked scope;  // (no system call here: blocked for good)
      err = write_to_closed_pipe();
      if (err == EPIPE) scope.write_failed_with_epipe();
    }
    pending_after = sigpipe_pending();
    masked_after = sigpipe_masked();
  }).join();
  EXPECT_EQ(err, EPIPE);
  EXPECT_FALSE(pending_after) << "the failed write's SIGPIPE was left pending";
  EXPECT_TRUE(masked_after) << "a runtime thread must keep SIGPIPE blocked";
}

TEST(ThreadSignals, AUserThreadGetsItsMaskBackAndNoPendingSigpipe) {
  bool masked_inside = false, pending_after = true, masked_after = true;
  int err = 0;
  std::thread([&] {
    {
      gpustd::detail::sigpipe_blocked scope;
      masked_inside = sigpipe_masked();
      err = write_to_closed_pipe();
    }
    pending_after = sigpipe_pending();
    masked_after = sigpipe_masked();
  }).join();
  EXPECT_TRUE(masked_inside);
  EXPECT_EQ(err, EPIPE);
  EXPECT_FALSE(pending_after);
  EXPECT_FALSE(masked_after) << "the user's thread did not block SIGPIPE; its mask must be restored";
}

}  // namespace
