// GPUSTD_TRACE / GPUSTD_STATS: a line per request, a table at the end.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "support/test_support.h"

namespace gpustd::test {

GPUSTD_HOSTCALL(traced_add, int(int a, int b));
GPUSTD_HOSTCALL(traced_fails, int(int a));

__global__ void traced_work() {
  gpustd::write(1, "traced text\n", 12);
  const auto r = call<traced_add>(40, 2);
  if (!r || r.value() != 42) gpustd::write(2, "bad\n", 4);
  call<traced_fails>(7);
}

std::size_t count_of(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(Trace, EveryRequestIsALineWithItsResultAndTheStatisticsFollow) {
  captured_file out, trace;
  {
    runtime_options o;
    o.stdout_fd = out.fd();
    o.trace = true;
    o.stats = true;
    o.trace_fd = trace.fd();
    runtime rt(o);
    rt.register_hostcall<traced_add>([](int a, int b) { return a + b; });
    rt.register_hostcall<traced_fails>([](int) -> int { throw std::runtime_error("no"); });
    launch(traced_work, 1, 32);
    rt.synchronize();
  }  // the table is written when the runtime ends
  const std::string t = trace.contents();
  // The warp's lanes may arrive in one request or several (the hardware and
  // the CPU backend may split a warp): every line is whole and right.
  EXPECT_GE(count_of(t, "] block 0 warp 0 lanes "), 3u) << t;
  EXPECT_EQ(count_of(t, "write(fd=1, \"traced text\\n\""), count_of(t, " = 12 <")) << t;
  EXPECT_EQ(count_of(t, "traced_add(8589934632"), count_of(t, ") = 42 <")) << t;  // 40 and 2, packed
  EXPECT_EQ(count_of(t, "traced_fails(7"), count_of(t, " = -5 (Input/output error) <")) << t;
  EXPECT_GE(count_of(t, "traced_fails(7"), 1u) << t;
  EXPECT_NE(t.find("gpustd statistics"), std::string::npos) << t;
  for (const char* op : {"\nwrite ", "\ntraced_add ", "\ntraced_fails "}) EXPECT_NE(t.find(op), std::string::npos) << op;
  EXPECT_EQ(out.contents().size(), 32u * 12);
}

TEST(Trace, OffByDefaultAndOnFromTheEnvironment) {
  captured_file trace;
  {
    runtime_options o;
    o.trace_fd = trace.fd();
    runtime rt(o);
    launch(traced_work, 1, 1);
    rt.synchronize();
  }
  EXPECT_EQ(trace.contents(), "");
  ::setenv("GPUSTD_STATS", "1", 1);
  {
    runtime_options o;
    o.trace_fd = trace.fd();
    runtime rt(o);
    rt.register_hostcall<traced_add>([](int a, int b) { return a + b; });
    launch(traced_work, 1, 1);
    rt.synchronize();
  }
  ::unsetenv("GPUSTD_STATS");
  const std::string t = trace.contents();
  EXPECT_EQ(t.find("] block"), std::string::npos) << "stats only, no lines";
  EXPECT_NE(t.find("traced_add"), std::string::npos) << t;
  EXPECT_NE(t.find("op "), std::string::npos) << "an unregistered hostcall shows its number: " << t;
}

}  // namespace gpustd::test
