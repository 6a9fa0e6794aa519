// The file service's operations on paths (path_op) and directory streams
// (dir_read).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "file_service.h"
#include "stat_convert.h"

namespace gpustd::detail {

using namespace protocol;

namespace {

// A descriptor closed at the end of its scope.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

std::int64_t stat_place(request& r, unsigned rank, const sandbox::place& p, bool follow) {
  const int fd = sandbox::open_at(p, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
  if (fd < 0) return fd;
  fd_guard g{fd};
  struct stat st{};
  if (::fstat(fd, &st) != 0) return -errno;
  const wire_stat w = to_wire(st);
  r.set_result(rank, 0, std::as_bytes(std::span(&w, 1)));
  return 0;
}

// An operation on the last component of a path, in its parent directory.
template <class F>
std::int64_t in_parent(const sandbox::place& p, F&& op) {
  std::string name;
  const int dir = sandbox::open_parent(p, name);
  if (dir < 0) return dir;
  fd_guard g{dir};
  if (name.empty()) return -EBUSY;  // the directory itself ("/", ".", a sandbox root)
  return op(dir, name.c_str());
}

// C's remove(): a file is unlinked, a directory removed if empty.
std::int64_t remove_c(int dir, const char* name) {
  if (::unlinkat(dir, name, 0) == 0) return 0;
  if (errno != EISDIR && errno != EPERM) return -errno;
  const int unlink_errno = errno;
  if (::unlinkat(dir, name, AT_REMOVEDIR) == 0) return 0;
  return errno == ENOTDIR ? -unlink_errno : -errno;
}

// Removes name in dir and everything beneath it, never following a
// symlink; returns the entries removed or -errno.
std::int64_t remove_tree(int dir, const char* name) {
  struct stat st{};
  if (::fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? 0 : -errno;
  std::int64_t removed = 0;
  if (S_ISDIR(st.st_mode)) {
    const int sub = ::openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) return -errno;
    DIR* d = ::fdopendir(sub);
    if (!d) {
      ::close(sub);
      return -errno;
    }
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.emplace_back(e->d_name);
    for (const auto& n : names) {
      const std::int64_t k = remove_tree(::dirfd(d), n.c_str());
      if (k < 0) {
        ::closedir(d);
        return k;
      }
      removed += k;
    }
    ::closedir(d);
    if (::unlinkat(dir, name, AT_REMOVEDIR) != 0) return -errno;
  } else if (::unlinkat(dir, name, 0) != 0) {
    return -errno;
  }
  return removed + 1;
}

// create_directories: each component made (or found) and entered beneath
// the place's directory; 1 when one was made.
std::int64_t make_dirs(const sandbox::place& p, unsigned mode) {
  sandbox::place at = p;
  at.rel = !p.beneath && !p.rel.empty() && p.rel.front() == '/' ? "/" : ".";
  int cur = sandbox::open_at(at, O_PATH | O_DIRECTORY, 0);
  if (cur < 0) return cur;
  bool made = false;
  std::size_t i = 0;
  const std::string& rel = p.rel;
  while (i < rel.size()) {
    while (i < rel.size() && rel[i] == '/') ++i;
    const std::size_t j = std::min(rel.find('/', i), rel.size());
    const std::string c = rel.substr(i, j - i);
    i = j;
    if (c.empty() || c == ".") continue;
    if (c != ".." && ::mkdirat(cur, c.c_str(), static_cast<mode_t>(mode)) == 0) made = true;
    else if (c != ".." && errno != EEXIST) {
      const int e = errno;
      ::close(cur);
      return -e;
    }
    sandbox::place step{cur, c, p.beneath};
    const int next = sandbox::open_at(step, O_PATH | O_DIRECTORY, 0);  // not a directory: ENOTDIR
    ::close(cur);
    if (next < 0) return next;
    cur = next;
  }
  ::close(cur);
  return made ? 1 : 0;
}

std::int64_t copy(const sandbox::place& from, const sandbox::place& to, std::uint32_t options, sandbox& box) {
  const int in = sandbox::open_at(from, O_RDONLY, 0);
  if (in < 0) return in;
  fd_guard gin{in};
  struct stat src{};
  if (::fstat(in, &src) != 0) return -errno;
  if (!S_ISREG(src.st_mode)) return -EINVAL;
  int out = sandbox::open_at(to, O_WRONLY | O_CREAT | O_EXCL, src.st_mode & 07777);
  if (out == -EEXIST) {
    const int existing = sandbox::open_at(to, O_PATH, 0);
    if (existing < 0) return existing;
    struct stat dst{};
    const int fs_ok = ::fstat(existing, &dst);
    ::close(existing);
    if (fs_ok != 0) return -errno;
    if (dst.st_dev == src.st_dev && dst.st_ino == src.st_ino) return -EEXIST;  // the same file
    if (options & copy_skip_existing) return 0;
    const bool newer = src.st_mtim.tv_sec > dst.st_mtim.tv_sec ||
                       (src.st_mtim.tv_sec == dst.st_mtim.tv_sec && src.st_mtim.tv_nsec > dst.st_mtim.tv_nsec);
    if ((options & copy_update_existing) && !newer) return 0;
    if (!(options & (copy_overwrite_existing | copy_update_existing))) return -EEXIST;
    out = sandbox::open_at(to, O_WRONLY | O_TRUNC, 0);
  }
  if (out < 0) return out;
  fd_guard gout{out};
  if (!box.charge_write(static_cast<std::uint64_t>(src.st_size))) return -EDQUOT;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      const ssize_t w = ::write(out, buf + off, static_cast<std::size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return -errno;
      off += w;
    }
  }
  ::fchmod(out, src.st_mode & 07777);
  return 1;
}

// Whether a path operation changes what is at the path (needs a writable place).
bool writes(path_kind k) {
  return k != path_kind::stat && k != path_kind::lstat && k != path_kind::access && k != path_kind::opendir;
}

}  // namespace

void file_service::handle_path(request& r) {
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const auto a = r.arg<path_args>(i);
    const auto payload = r.payload(i);
    if (a.first_bytes > payload.size()) {
      r.set_result(i, -EPROTO);
      continue;
    }
    const std::string_view all(reinterpret_cast<const char*>(payload.data()), payload.size());
    const std::string_view first_view = all.substr(0, a.first_bytes), second_view = all.substr(a.first_bytes);
    const bool two = a.kind == path_kind::rename || a.kind == path_kind::copy_file;
    int bad = check_path(first_view);
    if (!bad && two) bad = check_path(second_view);
    // Where the paths lead (the sandbox refuses what lies outside it): the
    // first is written by every kind that changes something, except that
    // copy_file only reads its source; access(W_OK) asks about writing.
    const bool write_first = a.kind == path_kind::copy_file ? false
                             : a.kind == path_kind::access ? (a.arg & W_OK) != 0
                                                           : writes(a.kind);
    sandbox::place first, second;
    if (!bad) bad = sandbox_.resolve(first_view, write_first, first);
    if (!bad && two) bad = sandbox_.resolve(second_view, true, second);
    if (bad) {
      r.set_result(i, -bad);
      continue;
    }
    std::int64_t st = 0;
    switch (a.kind) {
      case path_kind::stat: st = stat_place(r, i, first, true); break;
      case path_kind::lstat: st = stat_place(r, i, first, false); break;
      case path_kind::mkdir:
        st = in_parent(first, [&](int d, const char* n) -> std::int64_t {
          return ::mkdirat(d, n, static_cast<mode_t>(a.arg & 07777)) == 0 ? 0 : -errno;
        });
        if (st == -EBUSY) st = -EEXIST;
        break;
      case path_kind::rmdir:
        st = in_parent(first, [](int d, const char* n) -> std::int64_t { return ::unlinkat(d, n, AT_REMOVEDIR) == 0 ? 0 : -errno; });
        break;
      case path_kind::unlink:
        st = in_parent(first, [](int d, const char* n) -> std::int64_t { return ::unlinkat(d, n, 0) == 0 ? 0 : -errno; });
        break;
      case path_kind::remove: st = in_parent(first, remove_c); break;
      case path_kind::rename:
        st = in_parent(first, [&](int d1, const char* n1) -> std::int64_t {
          return in_parent(second, [&](int d2, const char* n2) -> std::int64_t {
            return ::renameat(d1, n1, d2, n2) == 0 ? 0 : -errno;
          });
        });
        break;
      case path_kind::access: {
        const int fd = sandbox::open_at(first, O_PATH, 0);
        if (fd < 0) {
          st = fd;
          break;
        }
        fd_guard g{fd};
        // The file the descriptor names (this process's own magic link, not
        // a path from the device).
        const std::string self = "/proc/self/fd/" + std::to_string(fd);
        st = ::access(self.c_str(), static_cast<int>(a.arg & 7)) == 0 ? 0 : -errno;
        break;
      }
      case path_kind::remove_all: st = in_parent(first, remove_tree); break;
      case path_kind::mkdirs: st = make_dirs(first, 0777); break;
      case path_kind::copy_file: st = copy(first, second, a.arg, sandbox_); break;
      case path_kind::opendir: {
        const int fd = sandbox::open_at(first, O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0) {
          st = fd;
          break;
        }
        DIR* d = ::fdopendir(fd);
        if (!d) {
          st = -errno;
          ::close(fd);
          break;
        }
        auto f = std::make_shared<open_file>();
        f->dir = d;
        f->path = std::string(first_view);
        st = table_.insert(std::move(f));
        break;
      }
      default: st = -EINVAL;
    }
    if (a.kind != path_kind::stat && a.kind != path_kind::lstat) r.set_result(i, st);
    else if (st < 0) r.set_result(i, st);
  }
}

void file_service::handle_dir_read(request& r) {
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const auto a = r.arg<dir_args>(i);
    auto f = table_.find(a.fd);
    if (!f || !f->dir) {
      r.set_result(i, f ? -ENOTDIR : -EBADF);
      continue;
    }
    std::lock_guard lk(f->lock);
    if (a.name_offset == 0) {  // the next entry, "." and ".." skipped (as std::filesystem)
      for (;;) {
        errno = 0;
        const dirent* e = ::readdir(f->dir);
        if (!e) {
          f->entry_name.clear();
          f->entry_type = entry_type::unknown;
          break;
        }
        if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
        f->entry_name = e->d_name;
        switch (e->d_type) {
          case DT_REG: f->entry_type = entry_type::regular; break;
          case DT_DIR: f->entry_type = entry_type::directory; break;
          case DT_LNK: f->entry_type = entry_type::symlink; break;
          case DT_UNKNOWN: f->entry_type = entry_type::unknown; break;
          default: f->entry_type = entry_type::other;
        }
        break;
      }
      if (f->entry_name.empty() && errno) {
        r.set_result(i, -errno);
        continue;
      }
    }
    const std::string& n = f->entry_name;
    const std::size_t from = std::min<std::size_t>(a.name_offset, n.size());
    const std::size_t k = std::min<std::size_t>(n.size() - from, inline_arg_bytes);
    r.set_result(i, dir_status(static_cast<std::uint32_t>(n.size()), f->entry_type),
                 std::as_bytes(std::span(n.data() + from, k)));
  }
}

}  // namespace gpustd::detail
