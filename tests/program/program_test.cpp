// Programs with a device main, run as commands: argv and the environment in,
// exit codes out, output flushed on every way out, bad launches refused.
// PROGRAM is the test program (tests/program/programs.cu) of one backend.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#ifndef PROGRAM
#error "PROGRAM must name the test program"
#endif

namespace {

struct outcome {
  int code = -1;  // exit status, or 128 + signal
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs argv with extra environment entries; stdout and stderr to files.
outcome run(std::vector<std::string> argv, const std::vector<std::string>& env = {}) {
  char out_name[] = "/tmp/gpustd-prog-out-XXXXXX";
  char err_name[] = "/tmp/gpustd-prog-err-XXXXXX";
  const int out_fd = ::mkstemp(out_name), err_fd = ::mkstemp(err_name);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    ::_exit(121);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  outcome o;
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.out = slurp(out_name);
  o.err = slurp(err_name);
  ::close(out_fd);
  ::close(err_fd);
  ::unlink(out_name);
  ::unlink(err_name);
  return o;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}
bool has_line(const std::string& s, const std::string& line) {
  const auto v = lines(s);
  return std::find(v.begin(), v.end(), line) != v.end();
}

TEST(Program, ArgvAndEnvironmentReachTheDevice) {
  const auto o = run({PROGRAM, "args", "two words", "", "--", "--gpustd-blocks=9", "ünïcödé"},
                     {"GPUSTD_TEST_VALUE=forty two"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(has_line(o.out, "argc=7")) << o.out;
  EXPECT_TRUE(has_line(o.out, std::string("argv[0]=") + PROGRAM)) << o.out;
  EXPECT_TRUE(has_line(o.out, "argv[2]=two words"));
  EXPECT_TRUE(has_line(o.out, "argv[3]="));
  EXPECT_TRUE(has_line(o.out, "argv[4]=--"));
  EXPECT_TRUE(has_line(o.out, "argv[5]=--gpustd-blocks=9"));  // after "--": the program's
  EXPECT_TRUE(has_line(o.out, "argv[6]=ünïcödé"));
  EXPECT_TRUE(has_line(o.out, "env=forty two"));
  EXPECT_TRUE(has_line(o.out, "missing=(unset)"));
}

TEST(Program, LaunchShapeFromOptionsEnvironmentAndLauncher) {
  auto o = run({PROGRAM, "--gpustd-blocks=3", "shape", "--gpustd-threads=64"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(has_line(o.out, "blocks=3 threads=64 size=192")) << o.out;
  o = run({PROGRAM, "shape"});
  EXPECT_TRUE(has_line(o.out, "blocks=1 threads=1 size=1")) << o.out;  // the default
  o = run({PROGRAM, "shape"}, {"GPUSTD_BLOCKS=2", "GPUSTD_THREADS=32"});
  EXPECT_TRUE(has_line(o.out, "blocks=2 threads=32 size=64")) << o.out;
  o = run({GPUSTD_RUN, "--blocks=2", "--threads=40", PROGRAM, "args"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(has_line(o.out, "launcher-settings-hidden=yes")) << o.out;
  o = run({GPUSTD_RUN, "--blocks=2", "--threads=40", PROGRAM, "shape"});
  EXPECT_TRUE(has_line(o.out, "blocks=2 threads=40 size=80")) << o.out;
  o = run({PROGRAM, "--gpustd-blocks=all", "--gpustd-threads=32", "shape"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("threads=32"), std::string::npos);
}

TEST(Program, BadLaunchShapesAreRefusedWithAMessage) {
  for (const char* bad : {"--gpustd-threads=0", "--gpustd-threads=1025", "--gpustd-blocks=0",
                          "--gpustd-blocks=100000000", "--gpustd-blocks=many", "--gpustd-bogus=1"}) {
    const auto o = run({PROGRAM, bad, "shape"});
    EXPECT_EQ(o.code, 2) << bad;
    EXPECT_NE(o.err.find("gpustd: "), std::string::npos) << bad << ": " << o.err;
    EXPECT_EQ(o.out, "") << bad;
  }
  const auto help = run({PROGRAM, "--gpustd-help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--gpustd-blocks"), std::string::npos);
}

TEST(Program, ArgumentsTooLargeForTheDeviceAreRefused) {
  // (one argument may hold at most 128 KiB on Linux)
  const auto o = run({PROGRAM, "--gpustd-arg-limit=100000", "args", std::string(60000, 'x'), std::string(60000, 'y')});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("more than the limit"), std::string::npos) << o.err;
}

TEST(Program, ReturnValuesCombineToTheLowestRankedNonZero) {
  auto o = run({PROGRAM, "--gpustd-blocks=2", "--gpustd-threads=48", "return", "5", "1000"});  // all return 0
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(lines(o.out).size(), 96u);
  o = run({PROGRAM, "--gpustd-blocks=2", "--gpustd-threads=48", "return", "40", "37"});
  EXPECT_EQ(o.code, 77) << o.err;  // thread 37 returns 40 + 37; later threads return more
  EXPECT_EQ(lines(o.out).size(), 96u);  // every thread's line, before the exit
  o = run({PROGRAM, "--gpustd-threads=4", "return", "253", "1"});
  EXPECT_EQ(o.code, (253 + 1) & 255);
}

TEST(Program, ExitFlushesOutputAndEndsWithTheCode) {
  const auto o = run({PROGRAM, "--gpustd-blocks=2", "--gpustd-threads=32", "exit", "42"});
  EXPECT_EQ(o.code, 42) << o.err;
  EXPECT_TRUE(has_line(o.out, "thread 63 calls exit")) << o.out;
  // The caller's own line is there; every line that is there is whole.
  EXPECT_TRUE(has_line(o.out, "line from thread 63"));
  for (const auto& l : lines(o.out)) EXPECT_TRUE(l.starts_with("line from thread ") || l == "thread 63 calls exit") << l;
}

TEST(Program, AbortAndAssertionNameTheirPlace) {
  auto o = run({PROGRAM, "--gpustd-threads=4", "abort"});
  EXPECT_EQ(o.code, 134);
  EXPECT_NE(o.err.find("programs.cu:"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find(": gpustd_program_main: abort() called (thread 1 of block 0)"), std::string::npos) << o.err;
  EXPECT_TRUE(has_line(o.out, "before abort 1")) << o.out;
  o = run({PROGRAM, "--gpustd-threads=4", "assert"});
  EXPECT_EQ(o.code, 134);
  EXPECT_NE(o.err.find("programs.cu:"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("Assertion `rank != 2' failed. (thread 2 of block 0)"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("gpustd_program_main"), std::string::npos) << o.err;  // the function
  EXPECT_TRUE(has_line(o.out, "before assert 2")) << o.out;
}

TEST(Program, DeviceFaultIsReportedAfterTheOutput) {
  const auto o = run({PROGRAM, "--gpustd-threads=8", "trap"});
  EXPECT_EQ(o.code, 139) << o.err;
  EXPECT_NE(o.err.find("gpustd: the program failed on the device"), std::string::npos) << o.err;
  std::set<std::string> seen;
  for (const auto& l : lines(o.out)) seen.insert(l);
  for (int t = 0; t < 8; ++t) EXPECT_TRUE(seen.count("before trap " + std::to_string(t))) << o.out;
}

#ifdef PROGRAM_ON_GPU
TEST(Program, IllegalAddressIsReportedAfterTheOutput) {
  const auto o = run({PROGRAM, "--gpustd-threads=8", "illegal"});
  EXPECT_EQ(o.code, 139) << o.err;
  EXPECT_NE(o.err.find("cudaErrorIllegalAddress"), std::string::npos) << o.err;
  for (int t = 0; t < 8; ++t) EXPECT_TRUE(has_line(o.out, "before fault " + std::to_string(t))) << o.out;
}
#endif

TEST(Program, WithoutAMainItSaysSo) {
  const auto o = run({NO_MAIN_PROGRAM});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("this program has no GPUSTD_MAIN"), std::string::npos) << o.err;
}

TEST(Program, BarrierSpansEveryBlock) {
  const auto o = run({PROGRAM, "--gpustd-blocks=4", "--gpustd-threads=64", "barrier"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(has_line(o.out, "barrier errors=0")) << o.out;
}

TEST(Launcher, RefusesMissingAndForeignPrograms) {
  auto o = run({GPUSTD_RUN, "/nonexistent/program"});
  EXPECT_EQ(o.code, 127);
  EXPECT_NE(o.err.find("no such program"), std::string::npos);
  char plain[] = "/tmp/gpustd-plain-XXXXXX";  // a file without execute permission
  ::close(::mkstemp(plain));
  ::chmod(plain, 0644);
  o = run({GPUSTD_RUN, plain});
  ::unlink(plain);
  EXPECT_EQ(o.code, 126) << o.err;
  o = run({GPUSTD_RUN, "/bin/true"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("not a gpustd program"), std::string::npos) << o.err;
  o = run({GPUSTD_RUN});
  EXPECT_EQ(o.code, 2);
  o = run({GPUSTD_RUN, "--help"});
  EXPECT_EQ(o.code, 0);
  EXPECT_NE(o.out.find("usage: gpustd-run"), std::string::npos);
}

}  // namespace
