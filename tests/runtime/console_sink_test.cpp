// The console's stream buffer (src/services/console/console_sink.h): a raw
// write returns only once its text is written, each call's text stays in
// one piece while threads write at once (their writes grouped), and a
// broken stream gives every later write its error instead of a hang.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "runtime/thread_signals.h"
#include "services/console/console_sink.h"

namespace {

void no_wake(void*) {}

std::string contents(int fd) {
  std::string s;
  char buf[1 << 16];
  off_t at = 0;
  for (ssize_t n; (n = ::pread(fd, buf, sizeof buf, at)) > 0; at += n) s.append(buf, static_cast<std::size_t>(n));
  return s;
}

TEST(ConsoleSink, ARawWriteReturnsOnlyOnceItsTextIsWrittenWhileThreadsWriteAtOnce) {
  char path[] = "/tmp/gpustd-console-sink-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  {
    gpustd::detail::console_sink sink(fd, no_wake, nullptr);
    constexpr int threads = 4, calls = 150;
    std::vector<std::string> missing(threads);
    std::vector<int> errors(threads, 0);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        for (int i = 0; i < calls; ++i) {
          const std::string text = "thread " + std::to_string(t) + " call " + std::to_string(i) + "\n";
          if (const int e = sink.append_and_write(text)) errors[t] = e;
          // Written before the call returned: in the file now.
          if (missing[t].empty() && contents(fd).find(text) == std::string::npos) missing[t] = text;
        }
      });
    for (auto& th : ts) th.join();
    for (int t = 0; t < threads; ++t) {
      EXPECT_EQ(errors[t], 0);
      EXPECT_EQ(missing[t], "") << "returned before its text was written";
    }
    // Every call's text once, whole, each thread's in its order.
    const std::string all = contents(fd);
    for (int t = 0; t < threads; ++t) {
      std::size_t at = 0;
      for (int i = 0; i < calls; ++i) {
        const std::string text = "thread " + std::to_string(t) + " call " + std::to_string(i) + "\n";
        const std::size_t found = all.find(text, at);
        ASSERT_NE(found, std::string::npos) << text;
        EXPECT_TRUE(found == 0 || all[found - 1] == '\n') << "interleaved: " << text;
        at = found + text.size();
      }
    }
    EXPECT_EQ(static_cast<int>(std::count(all.begin(), all.end(), '\n')), threads * calls);
  }
  ::close(fd);
}

// A reader that stalls (a full pipe) holds the writing thread up; the
// others wait for it (spinning a little, then asleep on the write lock) and
// every line arrives, each thread's in order, once the reader drains the
// pipe. (That the waiters sleep rather than spin is not asserted: the CPU
// time a spinning thread gets depends on the machine's load too much.)
TEST(ConsoleSink, WritersHeldUpByAFullPipeAllFinishOnceItDrains) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::fcntl(fds[1], F_SETPIPE_SZ, 4096);
  constexpr int threads = 4, calls = 100;
  std::string got;
  std::thread reader([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  });
  std::vector<int> errors(threads, 0);
  {
    gpustd::detail::console_sink sink(fds[1], no_wake, nullptr);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        for (int i = 0; i < calls; ++i)
          if (const int e = sink.append_and_write("thread " + std::to_string(t) + " call " + std::to_string(i) +
                                                  std::string(80, '.') + "\n"))
            errors[t] = e;
      });
    for (auto& th : ts) th.join();
  }
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  EXPECT_EQ(static_cast<int>(std::count(got.begin(), got.end(), '\n')), threads * calls);
  for (int t = 0; t < threads; ++t) {
    EXPECT_EQ(errors[t], 0);
    std::size_t at = 0;
    for (int i = 0; i < calls; ++i) {
      const std::size_t found = got.find("thread " + std::to_string(t) + " call " + std::to_string(i) + ".", at);
      ASSERT_NE(found, std::string::npos) << "thread " << t << " call " << i;
      at = found;
    }
  }
}

TEST(ConsoleSink, WritesToABrokenStreamGetItsErrorAndNeverWait) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);  // nobody reads
  int first = 0, second = 0;
  std::thread([&] {
    gpustd::detail::block_sigpipe_in_this_thread();  // as the runtime's threads
    gpustd::detail::console_sink sink(fds[1], no_wake, nullptr);
    first = sink.append_and_write("one\n");
    second = sink.append_and_write("two\n");
  }).join();
  ::close(fds[1]);
  EXPECT_EQ(first, EPIPE);
  EXPECT_EQ(second, EPIPE);
}

}  // namespace
