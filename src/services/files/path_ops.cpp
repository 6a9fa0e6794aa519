// The file service's operations on paths (path_op) and directory streams
// (dir_read).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "file_service.h"
#include "stat_convert.h"

namespace gpustd::detail {

using namespace protocol;
namespace fs = std::filesystem;

namespace {

int errno_of(const std::error_code& ec) {
  if (!ec) return 0;
  if (ec.category() == std::generic_category() || ec.category() == std::system_category()) return ec.value();
  return EIO;
}

std::int64_t stat_path(request& r, unsigned rank, const std::string& p, bool follow) {
  struct stat st{};
  if ((follow ? ::stat(p.c_str(), &st) : ::lstat(p.c_str(), &st)) != 0) return -errno;
  const wire_stat w = to_wire(st);
  r.set_result(rank, 0, std::as_bytes(std::span(&w, 1)));
  return 0;
}

// C's remove(): a file is unlinked, a directory removed if empty.
std::int64_t remove_c(const std::string& p) {
  if (::unlink(p.c_str()) == 0) return 0;
  if (errno != EISDIR && errno != EPERM) return -errno;
  const int unlink_errno = errno;
  if (::rmdir(p.c_str()) == 0) return 0;
  return errno == ENOTDIR ? -unlink_errno : -errno;
}

std::int64_t copy(const std::string& from, const std::string& to, std::uint32_t options) {
  fs::copy_options o = fs::copy_options::none;
  if (options & copy_skip_existing) o |= fs::copy_options::skip_existing;
  if (options & copy_overwrite_existing) o |= fs::copy_options::overwrite_existing;
  if (options & copy_update_existing) o |= fs::copy_options::update_existing;
  std::error_code ec;
  const bool copied = fs::copy_file(from, to, o, ec);
  if (ec) return -errno_of(ec);
  return copied ? 1 : 0;
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
    if (bad) {
      r.set_result(i, -bad);
      continue;
    }
    const std::string first(first_view), second(second_view);
    std::int64_t st = 0;
    std::error_code ec;
    switch (a.kind) {
      case path_kind::stat: st = stat_path(r, i, first, true); break;
      case path_kind::lstat: st = stat_path(r, i, first, false); break;
      case path_kind::mkdir: st = ::mkdir(first.c_str(), static_cast<mode_t>(a.arg & 07777)) == 0 ? 0 : -errno; break;
      case path_kind::rmdir: st = ::rmdir(first.c_str()) == 0 ? 0 : -errno; break;
      case path_kind::unlink: st = ::unlink(first.c_str()) == 0 ? 0 : -errno; break;
      case path_kind::remove: st = remove_c(first); break;
      case path_kind::rename: st = ::rename(first.c_str(), second.c_str()) == 0 ? 0 : -errno; break;
      case path_kind::access: st = ::access(first.c_str(), static_cast<int>(a.arg & 7)) == 0 ? 0 : -errno; break;
      case path_kind::remove_all: {
        const auto n = fs::remove_all(first, ec);
        st = ec ? -errno_of(ec) : static_cast<std::int64_t>(n);
        break;
      }
      case path_kind::mkdirs: {
        const bool made = fs::create_directories(first, ec);
        st = ec ? -errno_of(ec) : made ? 1 : 0;
        break;
      }
      case path_kind::copy_file: st = copy(first, second, a.arg); break;
      case path_kind::opendir: {
        DIR* d = ::opendir(first.c_str());
        if (!d) {
          st = -errno;
          break;
        }
        auto f = std::make_shared<open_file>();
        f->dir = d;
        f->path = first;
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
