// gpustd::filesystem — std::filesystem from device code:
//
//   namespace fs = gpustd::filesystem;
//   fs::create_directories("out/run1");
//   for (const auto& e : fs::directory_iterator("data"))
//     if (e.is_regular_file()) total += fs::file_size(e.path());
//
// `path` is pure device code (a string on the device heap); every other
// function is one request to the host (directory_iterator: one per entry).
//
// What differs from std: device code has no exceptions, so where std throws
// filesystem_error these functions return the failure value (false, or
// static_cast<uintmax_t>(-1)), set gpustd::errno_ref(), and, when the error
// is not handled by the caller, are best called with the error_code
// overload, which fills a gpustd::error_code instead (std::error_code is
// host-only; gpustd::error_code converts to it in host code).
#pragma once
#include <cstdint>
#include <system_error>

#include "gpustd/files/posix.h"
#include "gpustd/strings/string.h"
#include "gpustd/strings/string_view.h"

namespace gpustd {

// An error number, as std::error_code with the generic category: 0 is
// success. In host code it converts to std::error_code.
class error_code {
 public:
  constexpr error_code() noexcept = default;
  GPUSTD_HOST_DEVICE constexpr explicit error_code(int e) noexcept : value_(e) {}
  GPUSTD_HOST_DEVICE constexpr int value() const noexcept { return value_; }
  GPUSTD_HOST_DEVICE constexpr explicit operator bool() const noexcept { return value_ != 0; }
  GPUSTD_HOST_DEVICE void assign(int e) noexcept { value_ = e; }
  GPUSTD_HOST_DEVICE void clear() noexcept { value_ = 0; }
  GPUSTD_HOST_DEVICE const char* message() const noexcept { return strerror(value_); }
  GPUSTD_HOST_DEVICE friend constexpr bool operator==(error_code a, error_code b) noexcept { return a.value_ == b.value_; }
  GPUSTD_HOST_DEVICE friend constexpr bool operator==(error_code a, std::errc b) noexcept {
    return a.value_ == static_cast<int>(b);
  }
  operator std::error_code() const { return {value_, std::generic_category()}; }

 private:
  int value_ = 0;
};

namespace filesystem {

class path {
 public:
  static constexpr char preferred_separator = '/';
  path() = default;
  GPUSTD_INLINE path(const char* s) : s_(s ? s : "") {}
  GPUSTD_INLINE path(string_view s) : s_(s) {}
  GPUSTD_INLINE path(const string& s) : s_(s) {}

  GPUSTD_INLINE const char* c_str() const { return s_.c_str(); }
  GPUSTD_INLINE const string& native() const { return s_; }
  GPUSTD_INLINE string_view view() const { return s_.view(); }
  GPUSTD_INLINE bool empty() const { return s_.empty(); }
  GPUSTD_INLINE bool is_absolute() const { return !s_.empty() && s_[0] == '/'; }
  GPUSTD_INLINE bool is_relative() const { return !is_absolute(); }

  // Appends with a separator (an absolute right side replaces, as std).
  GPUSTD_INLINE path& operator/=(const path& p) {
    if (p.is_absolute()) {
      s_ = p.s_;
      return *this;
    }
    if (!s_.empty() && s_[s_.size() - 1] != '/' && !p.empty()) s_ += '/';
    s_ += p.view();
    return *this;
  }
  GPUSTD_INLINE friend path operator/(path a, const path& b) {
    a /= b;
    return a;
  }
  GPUSTD_INLINE path& operator+=(string_view s) {
    s_ += s;
    return *this;
  }

  // Decomposition, as std::filesystem::path on POSIX.
  GPUSTD_INLINE path filename() const {
    const string_view v = view();
    const std::size_t slash = last_slash(v);
    return slash == npos ? path(v) : path(v.substr(slash + 1));
  }
  GPUSTD_INLINE path parent_path() const {
    const string_view v = view();
    std::size_t slash = last_slash(v);
    if (slash == npos) return path();
    std::size_t end = slash;
    while (end > 0 && v[end - 1] == '/') --end;  // "a//b" -> "a"
    return path(v.substr(0, end == 0 ? 1 : end));  // "/a" -> "/"
  }
  GPUSTD_INLINE path stem() const {
    const path f = filename();
    const string_view v = f.view();
    const std::size_t dot = dot_of(v);
    return dot == npos ? f : path(v.substr(0, dot));
  }
  GPUSTD_INLINE path extension() const {
    const path f = filename();
    const string_view v = f.view();
    const std::size_t dot = dot_of(v);
    return dot == npos ? path() : path(v.substr(dot));
  }
  GPUSTD_INLINE bool has_filename() const { return !filename().empty(); }
  GPUSTD_INLINE bool has_extension() const { return !extension().empty(); }
  GPUSTD_INLINE bool has_parent_path() const { return !parent_path().empty(); }
  GPUSTD_INLINE path& replace_extension(const path& e = path()) {
    const string_view ext = extension().view();
    string_view keep = view();
    keep.remove_suffix(ext.size());
    string out(keep);
    if (!e.empty()) {
      if (e.view()[0] != '.') out += '.';
      out += e.view();
    }
    s_ = out;
    return *this;
  }
  GPUSTD_INLINE friend bool operator==(const path& a, const path& b) { return a.view() == b.view(); }

 private:
  static constexpr std::size_t npos = ~std::size_t(0);
  GPUSTD_INLINE static std::size_t last_slash(string_view v) {
    for (std::size_t i = v.size(); i > 0; --i)
      if (v[i - 1] == '/') return i - 1;
    return npos;
  }
  // The extension's dot: the last one, not at the start ("." ".." ".profile" have none).
  GPUSTD_INLINE static std::size_t dot_of(string_view v) {
    if (v == string_view(".") || v == string_view("..")) return npos;
    for (std::size_t i = v.size(); i > 1; --i)
      if (v[i - 1] == '.') return i - 1;
    return npos;
  }
  string s_;
};

enum class file_type : signed char { none = 0, not_found = -1, regular = 1, directory = 2, symlink = 3, other = 9, unknown = 10 };

enum class copy_options : unsigned {
  none = protocol::copy_none,
  skip_existing = protocol::copy_skip_existing,
  overwrite_existing = protocol::copy_overwrite_existing,
  update_existing = protocol::copy_update_existing,
};

namespace detail {

GPUSTD_INLINE files_detail::path_bytes bytes_of(const path& p) {
  return {p.c_str(), static_cast<std::uint32_t>(p.native().size())};
}
GPUSTD_INLINE std::int64_t request(protocol::path_kind kind, const path& a, const path* b = nullptr,
                                   std::uint32_t arg = 0, files_detail::answer* data = nullptr) {
  return files_detail::path_request(kind, bytes_of(a), b ? bytes_of(*b) : files_detail::path_bytes{"", 0}, arg,
                                    data);
}
// Puts a status into ec (and errno); returns whether it is a success.
GPUSTD_INLINE bool report(std::int64_t status, error_code& ec) {
  if (status >= 0) {
    ec.clear();
    return true;
  }
  ec.assign(static_cast<int>(-status));
  errno_ref() = static_cast<int>(-status);
  return false;
}
GPUSTD_INLINE file_type type_of_mode(std::uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return file_type::regular;
    case S_IFDIR: return file_type::directory;
    case S_IFLNK: return file_type::symlink;
    default: return file_type::other;
  }
}
// stat; not_found for a path that does not exist, with ec set as
// libstdc++'s status() sets it (exists() then clears it).
GPUSTD_INLINE file_type status_of(const path& p, error_code& ec, protocol::wire_stat* st = nullptr) {
  files_detail::answer ans;
  const std::int64_t r = request(protocol::path_kind::stat, p, nullptr, 0, &ans);
  const auto w = ans.as<protocol::wire_stat>();
  if (r == -ENOENT || r == -ENOTDIR) {
    report(r, ec);
    return file_type::not_found;
  }
  if (!report(r, ec)) return file_type::none;
  if (st) *st = w;
  return type_of_mode(w.mode);
}

}  // namespace detail

GPUSTD_INLINE bool exists(const path& p, error_code& ec) {
  const file_type t = detail::status_of(p, ec);
  if (t == file_type::not_found) ec.clear();  // not an error for exists
  return !ec && t != file_type::not_found;
}
GPUSTD_INLINE bool exists(const path& p) {
  error_code ec;
  return exists(p, ec);
}
GPUSTD_INLINE bool is_regular_file(const path& p, error_code& ec) {
  return detail::status_of(p, ec) == file_type::regular;
}
GPUSTD_INLINE bool is_regular_file(const path& p) {
  error_code ec;
  return is_regular_file(p, ec);
}
GPUSTD_INLINE bool is_directory(const path& p, error_code& ec) { return detail::status_of(p, ec) == file_type::directory; }
GPUSTD_INLINE bool is_directory(const path& p) {
  error_code ec;
  return is_directory(p, ec);
}

// Size of a regular file; static_cast<uintmax_t>(-1) and an error otherwise
// (EISDIR for a directory, as std).
GPUSTD_INLINE std::uintmax_t file_size(const path& p, error_code& ec) {
  files_detail::answer ans;
  const std::int64_t r = detail::request(protocol::path_kind::stat, p, nullptr, 0, &ans);
  if (!detail::report(r, ec)) return static_cast<std::uintmax_t>(-1);
  const auto w = ans.as<protocol::wire_stat>();
  const file_type t = detail::type_of_mode(w.mode);
  if (t != file_type::regular) {
    detail::report(t == file_type::directory ? -EISDIR : -ENOTSUP, ec);
    return static_cast<std::uintmax_t>(-1);
  }
  return static_cast<std::uintmax_t>(w.size);
}
GPUSTD_INLINE std::uintmax_t file_size(const path& p) {
  error_code ec;
  return file_size(p, ec);
}

// True when it made the directory; false (no error) when a directory is already there.
GPUSTD_INLINE bool create_directory(const path& p, error_code& ec) {
  const std::int64_t r = detail::request(protocol::path_kind::mkdir, p, nullptr, 0777);
  if (r == -EEXIST) {
    error_code e2;
    if (detail::status_of(p, e2) == file_type::directory) {
      ec.clear();
      return false;
    }
  }
  return detail::report(r, ec);
}
GPUSTD_INLINE bool create_directory(const path& p) {
  error_code ec;
  return create_directory(p, ec);
}
GPUSTD_INLINE bool create_directories(const path& p, error_code& ec) {
  const std::int64_t r = detail::request(protocol::path_kind::mkdirs, p);
  return detail::report(r, ec) && r == 1;
}
GPUSTD_INLINE bool create_directories(const path& p) {
  error_code ec;
  return create_directories(p, ec);
}

// True when it removed something; false (no error) when nothing was there.
GPUSTD_INLINE bool remove(const path& p, error_code& ec) {
  const std::int64_t r = detail::request(protocol::path_kind::remove, p);
  if (r == -ENOENT) {
    ec.clear();
    return false;
  }
  return detail::report(r, ec);
}
GPUSTD_INLINE bool remove(const path& p) {
  error_code ec;
  return remove(p, ec);
}
// The number of files and directories removed; static_cast<uintmax_t>(-1) on an error.
GPUSTD_INLINE std::uintmax_t remove_all(const path& p, error_code& ec) {
  const std::int64_t r = detail::request(protocol::path_kind::remove_all, p);
  return detail::report(r, ec) ? static_cast<std::uintmax_t>(r) : static_cast<std::uintmax_t>(-1);
}
GPUSTD_INLINE std::uintmax_t remove_all(const path& p) {
  error_code ec;
  return remove_all(p, ec);
}
GPUSTD_INLINE void rename(const path& from, const path& to, error_code& ec) {
  detail::report(detail::request(protocol::path_kind::rename, from, &to), ec);
}
GPUSTD_INLINE void rename(const path& from, const path& to) {
  error_code ec;
  rename(from, to, ec);
}
// True when it copied; false when the options said to skip.
GPUSTD_INLINE bool copy_file(const path& from, const path& to, copy_options o, error_code& ec) {
  const std::int64_t r = detail::request(protocol::path_kind::copy_file, from, &to, static_cast<std::uint32_t>(o));
  return detail::report(r, ec) && r == 1;
}
GPUSTD_INLINE bool copy_file(const path& from, const path& to, error_code& ec) {
  return copy_file(from, to, copy_options::none, ec);
}
GPUSTD_INLINE bool copy_file(const path& from, const path& to, copy_options o = copy_options::none) {
  error_code ec;
  return copy_file(from, to, o, ec);
}

class directory_entry {
 public:
  directory_entry() = default;
  GPUSTD_INLINE const filesystem::path& path() const { return path_; }
  GPUSTD_INLINE operator const filesystem::path&() const { return path_; }
  // The type the directory listing gave (no request), else a stat.
  GPUSTD_INLINE bool is_regular_file() const {
    return type_ == file_type::unknown ? filesystem::is_regular_file(path_) : type_ == file_type::regular;
  }
  GPUSTD_INLINE bool is_directory() const {
    return type_ == file_type::unknown ? filesystem::is_directory(path_) : type_ == file_type::directory;
  }
  GPUSTD_INLINE bool is_symlink() const { return type_ == file_type::symlink; }
  GPUSTD_INLINE std::uintmax_t file_size() const { return filesystem::file_size(path_); }
  GPUSTD_INLINE std::uintmax_t file_size(error_code& ec) const { return filesystem::file_size(path_, ec); }

 private:
  friend class directory_iterator;
  filesystem::path path_;
  file_type type_ = file_type::none;
};

// An input iterator over a directory's entries ("." and ".." skipped). The
// default-constructed one is the end. Not copyable across threads: one
// thread walks it.
class directory_iterator {
 public:
  directory_iterator() = default;
  GPUSTD_INLINE explicit directory_iterator(const path& p, error_code& ec) : dir_(p) {
    const std::int64_t r = detail::request(protocol::path_kind::opendir, p);
    if (!detail::report(r, ec)) return;
    fd_ = static_cast<int>(r);
    advance(ec);
  }
  GPUSTD_INLINE explicit directory_iterator(const path& p) {
    error_code ec;
    *this = directory_iterator(p, ec);
  }
  directory_iterator(const directory_iterator&) = delete;
  GPUSTD_INLINE directory_iterator(directory_iterator&& o) noexcept
      : dir_(static_cast<path&&>(o.dir_)), entry_(static_cast<directory_entry&&>(o.entry_)), fd_(o.fd_) {
    o.fd_ = -1;
  }
  GPUSTD_INLINE directory_iterator& operator=(directory_iterator&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) gpustd::close(fd_);
      dir_ = static_cast<path&&>(o.dir_);
      entry_ = static_cast<directory_entry&&>(o.entry_);
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  GPUSTD_INLINE ~directory_iterator() {
    if (fd_ >= 0) gpustd::close(fd_);
  }

  GPUSTD_INLINE const directory_entry& operator*() const { return entry_; }
  GPUSTD_INLINE const directory_entry* operator->() const { return &entry_; }
  GPUSTD_INLINE directory_iterator& increment(error_code& ec) {
    advance(ec);
    return *this;
  }
  GPUSTD_INLINE directory_iterator& operator++() {
    error_code ec;
    return increment(ec);
  }
  // Iterators compare equal when both are at the end.
  GPUSTD_INLINE friend bool operator==(const directory_iterator& a, const directory_iterator& b) {
    return a.fd_ < 0 && b.fd_ < 0;
  }
  GPUSTD_INLINE friend bool operator!=(const directory_iterator& a, const directory_iterator& b) { return !(a == b); }

 private:
  GPUSTD_INLINE void advance(error_code& ec) {
    if (fd_ < 0) return;
    string name;
    std::int64_t status = 0;
    for (std::uint32_t offset = 0;;) {
      const protocol::dir_args a{fd_, offset};
      files_detail::answer ans;
      status = files_detail::call(protocol::opcode::dir_read, &a, sizeof a, nullptr, 0, &ans);
      const char* data = reinterpret_cast<const char*>(ans.bytes);
      if (status < 0) break;
      const auto total = static_cast<std::uint32_t>(status & 0xffffffff);
      const std::uint32_t n = total - offset < protocol::inline_arg_bytes ? total - offset : protocol::inline_arg_bytes;
      name.append(data, n);
      offset += n;
      if (offset >= total) break;
    }
    if (!detail::report(status < 0 ? status : 0, ec) || name.empty()) {  // an error or the end
      gpustd::close(fd_);
      fd_ = -1;
      return;
    }
    entry_.path_ = dir_ / path(name);
    switch (static_cast<protocol::entry_type>(status >> 32)) {
      case protocol::entry_type::regular: entry_.type_ = file_type::regular; break;
      case protocol::entry_type::directory: entry_.type_ = file_type::directory; break;
      case protocol::entry_type::symlink: entry_.type_ = file_type::symlink; break;
      case protocol::entry_type::other: entry_.type_ = file_type::other; break;
      default: entry_.type_ = file_type::unknown;
    }
  }

  path dir_;
  directory_entry entry_;
  int fd_ = -1;
};

// Range-for over a directory_iterator (the range is walked, not copied).
GPUSTD_INLINE directory_iterator&& begin(directory_iterator& it) { return static_cast<directory_iterator&&>(it); }
GPUSTD_INLINE directory_iterator end(const directory_iterator&) { return {}; }

}  // namespace filesystem
}  // namespace gpustd
