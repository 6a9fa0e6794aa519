// The runtime as a whole: lifetime, options, and what it costs when idle.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include <gpustd/gpustd.h>

namespace {

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

TEST(Runtime, OneAtATime) {
  gpustd::runtime a;
  EXPECT_EQ(gpustd::runtime::current(), &a);
  EXPECT_THROW(gpustd::runtime b, gpustd::runtime_error);
}

TEST(Runtime, CanBeCreatedAgainAfterTheLastOneEnds) {
  { gpustd::runtime a; }
  EXPECT_EQ(gpustd::runtime::current(), nullptr);
  gpustd::runtime b;
  EXPECT_EQ(gpustd::runtime::current(), &b);
}

TEST(Runtime, RejectsBadOptions) {
  gpustd::runtime_options o;
  o.frames_per_slot = 3;
  EXPECT_THROW(gpustd::runtime r(o), gpustd::runtime_error);
  o.frames_per_slot = 4;
  o.max_request_bytes = 100;
  EXPECT_THROW(gpustd::runtime r(o), gpustd::runtime_error);
  EXPECT_EQ(gpustd::runtime::current(), nullptr) << "a failed start must not leave a runtime behind";
}

// GPUSTD_SERVER_THREADS sets the server threads when the options leave them
// at 0, an explicit count wins, and a bad value is refused with a clear
// error. (The runtime starts as many threads as its resolved options say.)
TEST(Runtime, ServerThreadsFromTheEnvironment) {
  auto threads_with = [](const char* env, unsigned explicit_count) {
    ::setenv("GPUSTD_SERVER_THREADS", env, 1);
    gpustd::runtime_options o;
    o.server_threads = explicit_count;
    gpustd::runtime rt(o);
    ::unsetenv("GPUSTD_SERVER_THREADS");
    return rt.options().server_threads;
  };
  EXPECT_EQ(threads_with("5", 0), 5u);
  EXPECT_EQ(threads_with("64", 0), 64u);
  EXPECT_EQ(threads_with("5", 2), 2u);
  for (const char* bad : {"0", "65", "x", "3x", "-1"}) {
    ::setenv("GPUSTD_SERVER_THREADS", bad, 1);
    EXPECT_THROW(gpustd::runtime r, gpustd::runtime_error) << bad;
  }
  ::unsetenv("GPUSTD_SERVER_THREADS");
  EXPECT_EQ(gpustd::runtime::current(), nullptr);
}

TEST(Runtime, IdleCostsUnderFivePercentOfACore) {
  gpustd::runtime_options o;
  o.server_threads = 8;
  gpustd::runtime rt(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // past the spin window
  const double c0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double used = process_cpu_seconds() - c0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  RecordProperty("idle_cpu_fraction", std::to_string(used / wall));
  EXPECT_LT(used / wall, 0.05) << "8 idle server threads used " << used << " s of CPU in " << wall << " s";
}

TEST(Runtime, RefusesAnEmptyHandler) {
  gpustd::runtime rt;
  EXPECT_THROW(rt.register_handler(0x9000, nullptr), gpustd::runtime_error);
}

}  // namespace
