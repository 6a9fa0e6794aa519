// gpustd-run — runs a program built with gpustd_program() (its main runs on
// the GPU), with the launch shape and backend chosen here:
//
//   gpustd-run [--blocks=N|all] [--threads=N] [--arg-limit=B] [--cpu] [--dir=PATH] [--ro-dir=PATH]
//              [--max-write=B] [--max-open-files=N] [--trace] [--stats] PROGRAM [ARGS...]
//
// It checks that PROGRAM exists, is executable and is a gpustd program, then
// executes it with the settings in the environment (GPUSTD_BLOCKS, ...),
// which the program's entry point reads and removes. Running the program
// directly works as well (its own --gpustd-* options do the same).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr int exit_usage = 2;
constexpr int exit_not_found = 127;      // as a shell says for a missing command
constexpr int exit_not_executable = 126;

const char* const usage =
    "usage: gpustd-run [OPTIONS] PROGRAM [ARGS...]\n"
    "Runs PROGRAM, built with gpustd_program(), whose main runs on the GPU (or on the CPU\n"
    "backend: PROGRAM_cpu, when there is no GPU or with --cpu).\n"
    "  --blocks=N|all    blocks to launch (all: as many as the GPU holds at once)\n"
    "  --threads=N       threads per block (1 to 1024)\n"
    "  --arg-limit=B     device bytes for argv and the environment (default 4194304)\n"
    "  --cpu             run the CPU-backend build\n"
    "  --dir=PATH        sandbox: the program may read and write beneath PATH (repeatable)\n"
    "  --ro-dir=PATH     sandbox: the program may read beneath PATH (repeatable)\n"
    "  --max-write=B     bytes the program may write to files in all (EDQUOT beyond)\n"
    "  --max-open-files=N  descriptors the program may hold open at once (EMFILE beyond)\n"
    "  --trace           a line per hostcall on stderr: time, block, warp, lanes, operation,\n"
    "                    arguments, result, host service time (GPUSTD_TRACE=1; =FILE for a file)\n"
    "  --stats           at exit, per operation: requests, lanes, bytes, latency percentiles\n"
    "  --help            this text\n"
    "Default: without --dir or --ro-dir the program has the rights of the user who runs\n"
    "it; with them it may reach only those trees (no .., symlink or /proc escape;\n"
    "docs/security.md). It has no network (gpustd has no sockets yet). Exit code: the program's; 127 when PROGRAM is missing, 126 when\n"
    "it cannot be executed, 2 for bad options or a file that is not a gpustd program.\n";

[[noreturn]] void fail(int code, const std::string& m) {
  std::fprintf(stderr, "gpustd-run: %s\n", m.c_str());
  std::exit(code);
}

// PROGRAM as execvp would find it.
std::string locate(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), F_OK) == 0) return candidate;
    if (colon == std::string_view::npos) return {};
    dirs.remove_prefix(colon + 1);
  }
}

// True when the file carries the mark the entry point's object defines.
bool is_gpustd_program(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st{};
  bool found = false;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      static const char mark[] = "gpustd-program-entry-v1";
      found = ::memmem(p, static_cast<std::size_t>(st.st_size), mark, sizeof mark - 1) != nullptr;
      ::munmap(p, static_cast<std::size_t>(st.st_size));
    }
  }
  ::close(fd);
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  int i = 1;
  for (; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (!a.starts_with("--")) break;
    const auto eq = a.find('=');
    const std::string_view name = a.substr(0, eq);
    const std::string value = eq == std::string_view::npos ? "" : std::string(a.substr(eq + 1));
    const char* env = nullptr;
    if (name == "--help") {
      std::fputs(usage, stdout);
      return 0;
    } else if (name == "--cpu" || name == "--trace" || name == "--stats") {
      ::setenv(name == "--cpu" ? "GPUSTD_CPU" : name == "--trace" ? "GPUSTD_TRACE" : "GPUSTD_STATS", "1", 1);
      continue;
    } else if (name == "--dir" || name == "--ro-dir") {
      if (value.empty()) fail(exit_usage, std::string(name) + " needs a value: " + std::string(name) + "=PATH");
      const char* var = name == "--dir" ? "GPUSTD_DIRS" : "GPUSTD_RO_DIRS";
      const char* before = std::getenv(var);
      ::setenv(var, (before && *before ? std::string(before) + ":" + value : value).c_str(), 1);
      continue;
    } else if (name == "--max-write") env = "GPUSTD_MAX_WRITE";
    else if (name == "--max-open-files") env = "GPUSTD_MAX_OPEN_FILES";
    else if (name == "--blocks") env = "GPUSTD_BLOCKS";
    else if (name == "--threads") env = "GPUSTD_THREADS";
    else if (name == "--arg-limit") env = "GPUSTD_ARG_LIMIT";
    else fail(exit_usage, "unknown option " + std::string(a) + "\n" + usage);
    if (value.empty()) fail(exit_usage, std::string(name) + " needs a value: " + std::string(name) + "=...");
    ::setenv(env, value.c_str(), 1);
  }
  if (i >= argc) fail(exit_usage, std::string("no program named\n") + usage);
  const std::string program = locate(argv[i]);
  if (program.empty() || ::access(program.c_str(), F_OK) != 0)
    fail(exit_not_found, std::string(argv[i]) + ": no such program");
  struct stat st{};
  if (::stat(program.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0 ||
      ::access(program.c_str(), X_OK) != 0)
    fail(exit_not_executable, program + ": not an executable file");
  if (::access(program.c_str(), R_OK) != 0) fail(exit_not_executable, program + ": cannot be read");
  if (!is_gpustd_program(program))
    fail(exit_usage, program + " is not a gpustd program (build it with gpustd_program(): it needs a GPUSTD_MAIN)");
  ::execv(program.c_str(), argv + i);
  fail(exit_not_executable, "cannot run " + program + ": " + std::strerror(errno));
}
