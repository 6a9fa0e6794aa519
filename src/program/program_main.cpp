// The host's main for programs whose main runs on the device
// (gpustd/program/main.h): options, argv and the environment to the device,
// the launch, the exit code. Linked from gpustd::main / gpustd::main_cpu.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "../runtime/program_access.h"
#include "gpustd/program/entry.h"
#include "gpustd/runtime/runtime.h"
#include "program_device.h"

namespace gpustd::program_detail {
namespace {

struct registry {
  program_entry entry{};
  int programs = 0;
  unsigned default_blocks = 1, default_threads = 1;
};
registry& the_registry() {
  static registry r;
  return r;
}

// Exit codes of the entry point itself (docs/programs.md).
constexpr int exit_usage = 2;       // bad options, shape, arguments too large, no GPUSTD_MAIN
constexpr int exit_failure = 1;     // the runtime could not start, the launch failed
constexpr int exit_device_fault = 139;  // the program faulted on the device (as SIGSEGV shows)

// The entry point's own options. Recognised anywhere before "--"; the
// environment (set by gpustd-run) gives defaults for them.
struct options {
  std::string blocks;  // "" (the program's default), "all", or a count
  std::string threads;
  std::string arg_limit;
  bool help = false;
  bool cpu = false;
  bool trace = false, stats = false;
  std::vector<std::string> dirs, ro_dirs;  // the sandbox; none given: the user's rights
  std::string max_write, max_open;
};

const char* const usage_text =
    "gpustd program options (anywhere before \"--\"; the rest goes to the program):\n"
    "  --gpustd-blocks=N|all   blocks to launch (all: as many as the device holds at once)\n"
    "  --gpustd-threads=N      threads per block (1 to 1024)\n"
    "  --gpustd-arg-limit=B    device bytes for argv and the environment (default 4194304)\n"
    "  --gpustd-cpu            run the CPU-backend build (NAME_cpu beside this program)\n"
"  --gpustd-dir=PATH       sandbox: the program may read and write beneath PATH (repeatable)\n"
    "  --gpustd-ro-dir=PATH    sandbox: the program may read beneath PATH (repeatable)\n"
    "  --gpustd-max-write=B    bytes the program may write to files in all\n"
    "  --gpustd-max-open-files=N  descriptors open at once (default 1024)\n"
    "                          Without --gpustd-dir or --gpustd-ro-dir the program has the rights of the\n"
    "                          user who runs it; with them it reaches nothing else (docs/security.md).\n"
    "  --gpustd-trace          a line per hostcall on stderr, as strace prints (GPUSTD_TRACE=1|FILE)\n"
    "  --gpustd-stats          hostcall counts and latency percentiles at exit (GPUSTD_STATS=1)\n"
    "  --gpustd-help           this text\n"
    "Environment: GPUSTD_BLOCKS, GPUSTD_THREADS, GPUSTD_ARG_LIMIT, GPUSTD_CPU=1, GPUSTD_DIRS and\n"
    "GPUSTD_RO_DIRS (colon-separated), GPUSTD_MAX_WRITE, GPUSTD_MAX_OPEN_FILES (as the options).\n"
    "Exit code: the program's; 2 for a bad option or shape, 134 after abort() or a failed\n"
    "assertion, 139 when the program faults on the device, 1 when the runtime cannot start.\n";

[[noreturn]] void fail(int code, const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "gpustd: %s\n", message.c_str());
  std::exit(code);
}

bool parse_count(const std::string& s, std::uint64_t& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string take_env(const char* name) {
  const char* v = std::getenv(name);
  std::string s = v ? v : "";
  if (v) ::unsetenv(name);  // the launcher's settings are not the program's environment
  return s;
}

options parse(int argc, char** argv, std::vector<std::string>& program_args) {
  options o;
  o.blocks = take_env("GPUSTD_BLOCKS");
  o.threads = take_env("GPUSTD_THREADS");
  o.arg_limit = take_env("GPUSTD_ARG_LIMIT");
  o.cpu = take_env("GPUSTD_CPU") == "1";
  const auto split = [](const std::string& list, std::vector<std::string>& into) {
    for (std::size_t i = 0; i < list.size();) {
      const std::size_t j = std::min(list.find(':', i), list.size());
      if (j > i) into.push_back(list.substr(i, j - i));
      i = j + 1;
    }
  };
  split(take_env("GPUSTD_DIRS"), o.dirs);
  split(take_env("GPUSTD_RO_DIRS"), o.ro_dirs);
  o.max_write = take_env("GPUSTD_MAX_WRITE");
  o.max_open = take_env("GPUSTD_MAX_OPEN_FILES");
  program_args.emplace_back(argc > 0 ? argv[0] : "program");
  bool options_end = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (options_end || !a.starts_with("--gpustd-")) {
      if (a == "--") options_end = true;
      program_args.emplace_back(a);
      continue;
    }
    const auto eq = a.find('=');
    const std::string_view name = a.substr(0, eq);
    const std::string value = eq == std::string_view::npos ? "" : std::string(a.substr(eq + 1));
    if (name == "--gpustd-blocks") o.blocks = value;
    else if (name == "--gpustd-threads") o.threads = value;
    else if (name == "--gpustd-arg-limit") o.arg_limit = value;
    else if (name == "--gpustd-help") o.help = true;
    else if (name == "--gpustd-cpu") o.cpu = true;
    else if (name == "--gpustd-trace") o.trace = true;
    else if (name == "--gpustd-dir") o.dirs.push_back(value);
    else if (name == "--gpustd-ro-dir") o.ro_dirs.push_back(value);
    else if (name == "--gpustd-max-write") o.max_write = value;
    else if (name == "--gpustd-max-open-files") o.max_open = value;
    else if (name == "--gpustd-stats") o.stats = true;
    else fail(exit_usage, "unknown option " + std::string(a) + " (--gpustd-help lists them)");
    if ((name == "--gpustd-blocks" || name == "--gpustd-threads" || name == "--gpustd-arg-limit" ||
         name == "--gpustd-dir" || name == "--gpustd-ro-dir" || name == "--gpustd-max-write" ||
         name == "--gpustd-max-open-files") &&
        value.empty())
      fail(exit_usage, std::string(name) + " needs a value: " + std::string(name) + "=...");
  }
  return o;
}

std::string self_path() {
  std::string p(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", p.data(), p.size() - 1);
  if (n <= 0) return {};
  p.resize(static_cast<std::size_t>(n));
  return p;
}

// The CUDA build, with no GPU (or asked to): run NAME_cpu beside it.
[[noreturn]] void run_cpu_build(char** argv, const std::string& why, const options& o) {
  const std::string self = self_path();
  const std::string cpu = self + "_cpu";
  if (self.empty() || ::access(cpu.c_str(), X_OK) != 0)
    fail(exit_failure, why + ", and there is no CPU-backend build " + (self.empty() ? "NAME_cpu" : cpu) +
                           " beside this program (build it with gpustd_program())");
  // Hand the options over to it through the environment.
  if (!o.blocks.empty()) ::setenv("GPUSTD_BLOCKS", o.blocks.c_str(), 1);
  if (!o.threads.empty()) ::setenv("GPUSTD_THREADS", o.threads.c_str(), 1);
  if (!o.arg_limit.empty()) ::setenv("GPUSTD_ARG_LIMIT", o.arg_limit.c_str(), 1);
  if (o.trace) ::setenv("GPUSTD_TRACE", "1", 0);
  const auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& d : v) s += (s.empty() ? "" : ":") + d;
    return s;
  };
  if (!o.dirs.empty()) ::setenv("GPUSTD_DIRS", join(o.dirs).c_str(), 1);
  if (!o.ro_dirs.empty()) ::setenv("GPUSTD_RO_DIRS", join(o.ro_dirs).c_str(), 1);
  if (!o.max_write.empty()) ::setenv("GPUSTD_MAX_WRITE", o.max_write.c_str(), 1);
  if (!o.max_open.empty()) ::setenv("GPUSTD_MAX_OPEN_FILES", o.max_open.c_str(), 1);
  if (o.stats) ::setenv("GPUSTD_STATS", "1", 0);
  ::execv(cpu.c_str(), argv);
  fail(exit_failure, "cannot run " + cpu + ": " + std::strerror(errno));
}

struct shape {
  unsigned blocks = 1, threads = 1;
};

shape resolve_shape(const options& o, const detail::program_device& dev, const program_entry& e) {
  const registry& r = the_registry();
  std::uint64_t threads = r.default_threads;
  if (!o.threads.empty() && !parse_count(o.threads, threads))
    fail(exit_usage, "--gpustd-threads: not a count: " + o.threads);
  if (threads == 0 || threads > dev.max_threads)
    fail(exit_usage, "bad launch shape: " + std::to_string(threads) + " threads per block (" + dev.name +
                         " takes 1 to " + std::to_string(dev.max_threads) + ")");
  // How many blocks of this size can be resident at once.
  std::uint64_t resident = 0;
  if (dev.cpu_backend) {
    resident = dev.max_lanes / threads;
  } else {
    const int per_sm = e.blocks_per_sm(static_cast<unsigned>(threads));
    resident = per_sm > 0 ? std::uint64_t(per_sm) * dev.sms : 0;
  }
  if (resident == 0)
    fail(exit_usage, "bad launch shape: a block of " + std::to_string(threads) + " threads of this program does not fit on " +
                         dev.name);
  std::uint64_t blocks = r.default_blocks;
  const bool all = o.blocks.empty() ? r.default_blocks == 0 : o.blocks == "all";
  if (all) {
    if (dev.cpu_backend) {
      // One block per core's worth of warps: emulated lanes are OS threads.
      const std::uint64_t warps = (threads + 31) / 32;
      blocks = std::max<std::uint64_t>(1, dev.sms / warps);
    } else {
      blocks = resident;
    }
  } else if (!o.blocks.empty() && !parse_count(o.blocks, blocks)) {
    fail(exit_usage, "--gpustd-blocks: not a count or \"all\": " + o.blocks);
  }
  if (blocks == 0) fail(exit_usage, "bad launch shape: zero blocks");
  if (blocks > resident)
    fail(exit_usage, "bad launch shape: " + std::to_string(blocks) + " blocks of " + std::to_string(threads) +
                         " threads cannot all be resident on " + dev.name + " (at most " + std::to_string(resident) +
                         "); a program's blocks run at once. Use --gpustd-blocks=all for the most.");
  return {static_cast<unsigned>(blocks), static_cast<unsigned>(threads)};
}

int run(int argc, char** argv) {
  std::vector<std::string> args;
  const options o = parse(argc, argv, args);
  if (o.help) {
    std::fputs(usage_text, stdout);
    return 0;
  }
  const registry& r = the_registry();
  if (r.programs == 0)
    fail(exit_usage, "this program has no GPUSTD_MAIN (define one in a source linked into it: gpustd/program/main.h)");
  if (r.programs > 1) fail(exit_usage, "this program has " + std::to_string(r.programs) + " GPUSTD_MAINs; it needs one");
  detail::program_device dev = detail::probe_program_device();
  if (!dev.cpu_backend && (o.cpu || !dev.present))
    run_cpu_build(argv, o.cpu ? "--gpustd-cpu given" : "no GPU here (" + dev.error + ")", o);
  const shape s = resolve_shape(o, dev, r.entry);

  runtime_options ro;
  ro.trace = o.trace;  // (GPUSTD_TRACE and GPUSTD_STATS are read by the runtime itself)
  ro.stats = o.stats;
  ro.sandbox.enabled = !o.dirs.empty() || !o.ro_dirs.empty();
  ro.sandbox.write_dirs = o.dirs;
  ro.sandbox.read_dirs = o.ro_dirs;
  if (!o.max_write.empty() && !parse_count(o.max_write, ro.sandbox.max_bytes_written))
    fail(exit_usage, "--gpustd-max-write: not a byte count: " + o.max_write);
  if (!o.max_open.empty()) {
    std::uint64_t n = 0;
    if (!parse_count(o.max_open, n) || n == 0 || n > 65532)
      fail(exit_usage, "--gpustd-max-open-files: not a count from 1 to 65532: " + o.max_open);
    ro.max_open_files = static_cast<unsigned>(n);
  }
  if (!o.arg_limit.empty() && !parse_count(o.arg_limit, ro.max_argument_bytes))
    fail(exit_usage, "--gpustd-arg-limit: not a byte count: " + o.arg_limit);
  std::unique_ptr<runtime> rt;
  try {
    rt = std::make_unique<runtime>(ro);
  } catch (const std::exception& e) {
    fail(exit_failure, std::string("cannot start the runtime: ") + e.what());
  }
  try {
    detail::program_access::set_arguments(*rt, args);
  } catch (const std::exception& e) {
    fail(exit_usage, std::string("cannot pass the arguments to the device: ") + e.what() +
                         " (--gpustd-arg-limit raises the limit)");
  }
  void* stream = detail::make_program_stream();
  try {
    if (const char* err = r.entry.launch(s.blocks, s.threads, stream); err && *err)
      fail(exit_failure, std::string("cannot launch the program: ") + err);
    rt->synchronize();  // the kernel ended, every request it sent served, output flushed
  } catch (const std::exception& e) {
    // A fault: what the program sent before it is delivered (synchronize
    // serves it before it throws). The device is unusable now: no teardown.
    std::fflush(stdout);
    std::fprintf(stderr, "gpustd: the program failed on the device: %s\n", e.what());
    std::fflush(nullptr);
    std::_Exit(exit_device_fault);
  }
  const int code = detail::program_access::exit_code(*rt);
  rt.reset();  // closes the files the program left open
  return code;
}

}  // namespace

void register_program(const program_entry& e) {
  auto& r = the_registry();
  r.entry = e;
  ++r.programs;
}
void register_default_shape(unsigned blocks, unsigned threads) {
  auto& r = the_registry();
  r.default_blocks = blocks;
  r.default_threads = threads;
}

}  // namespace gpustd::program_detail

// gpustd-run checks for this mark to tell a gpustd program from other files.
extern "C" __attribute__((used)) const char gpustd_program_mark[] = "gpustd-program-entry-v1";

int main(int argc, char** argv) { return gpustd::program_detail::run(argc, argv); }
