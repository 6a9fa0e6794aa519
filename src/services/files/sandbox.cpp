#include "sandbox.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "gpustd/runtime/runtime.h"

namespace gpustd::detail {

std::string normalize_absolute(std::string_view a) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < a.size()) {
    while (i < a.size() && a[i] == '/') ++i;
    const std::size_t j = a.find('/', i);
    const std::string_view c = a.substr(i, (j == std::string_view::npos ? a.size() : j) - i);
    i = j == std::string_view::npos ? a.size() : j;
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(c);
  }
  std::string out;
  for (auto c : parts) (out += '/') += c;
  return out.empty() ? "/" : out;
}

sandbox::sandbox(const sandbox_options& o) : enabled_(o.enabled), max_written_(o.max_bytes_written) {
  if (!enabled_) return;
  const auto add = [&](const std::string& dir, bool writable) {
    char real[PATH_MAX];
    if (!::realpath(dir.c_str(), real))
      throw runtime_error("gpustd::runtime: sandbox directory " + dir + ": " + std::strerror(errno));
    const int fd = ::open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw runtime_error("gpustd::runtime: sandbox directory " + dir + ": " + std::strerror(errno));
    roots_.push_back({real, fd, writable});
  };
  try {
    for (const auto& d : o.read_dirs) add(d, false);
    for (const auto& d : o.write_dirs) add(d, true);
  } catch (...) {
    for (auto& r : roots_) ::close(r.fd);
    throw;
  }
}

sandbox::~sandbox() {
  for (auto& r : roots_) ::close(r.fd);
}

int sandbox::resolve(std::string_view path, bool write, place& out) const {
  if (path.empty()) return ENOENT;
  if (!enabled_) {
    out = {AT_FDCWD, std::string(path), false};
    return 0;
  }
  std::string absolute;
  if (path.front() != '/') {
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return errno;
    absolute = std::string(cwd) + "/" + std::string(path);
  } else {
    absolute = path;
  }
  const std::string n = normalize_absolute(absolute);
  const root* best = nullptr;
  for (const auto& r : roots_) {
    const bool inside = r.path == "/" || n == r.path || (n.size() > r.path.size() && n.compare(0, r.path.size(), r.path) == 0 &&
                                                         n[r.path.size()] == '/');
    if (inside && (!best || r.path.size() > best->path.size())) best = &r;
  }
  if (!best || (write && !best->writable)) return EACCES;
  std::string rel = n.size() > best->path.size() ? n.substr(best->path == "/" ? 1 : best->path.size() + 1) : ".";
  out = {best->fd, rel.empty() ? "." : rel, true};
  return 0;
}

int sandbox::open_at(const place& p, int flags, unsigned mode) {
  if (!p.beneath) {
    const int fd = ::openat(p.dir, p.rel.c_str(), flags | O_CLOEXEC, static_cast<mode_t>(mode));
    return fd < 0 ? -errno : fd;
  }
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    const long fd = ::syscall(SYS_openat2, p.dir, p.rel.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EAGAIN || errno == EINTR) continue;  // a rename raced the lookup: try again
    // The kernel's word for "the path left the directory" (RESOLVE_BENEATH)
    // is EXDEV, which reads as a cross-device rename: say what it is.
    return errno == EXDEV ? -EACCES : -errno;
  }
}

int sandbox::open_parent(const place& p, std::string& name) {
  std::string rel = p.rel;
  while (rel.size() > 1 && rel.back() == '/') rel.pop_back();
  const auto slash = rel.rfind('/');
  place parent = p;
  if (slash == std::string::npos) {
    name = rel == "." || rel == "/" ? "" : rel;
    parent.rel = rel == "/" ? "/" : ".";
  } else {
    name = rel.substr(slash + 1);
    parent.rel = slash == 0 ? "/" : rel.substr(0, slash);
  }
  if (name == "." || name == "..") name.clear();  // no last component to act on
  return open_at(parent, O_PATH | O_DIRECTORY, 0);
}

bool sandbox::charge_write(std::uint64_t bytes) noexcept {
  if (max_written_ == 0) return true;
  const std::uint64_t before = written_.fetch_add(bytes, std::memory_order_relaxed);
  if (before + bytes <= max_written_) return true;
  written_.fetch_sub(bytes, std::memory_order_relaxed);
  return false;
}

}  // namespace gpustd::detail
