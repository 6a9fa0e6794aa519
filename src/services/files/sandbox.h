// Where a path from device code leads on the host: the file service's only
// way from a path to a host file (docs/security.md).
//
// Without a sandbox a path is the host's, relative to the working directory.
// With one, the path is made absolute and normalised lexically, matched
// against the preopened directories (the longest match decides whether it
// may be written), and everything after the match is resolved by the kernel
// with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to the
// directory's descriptor: neither "..", nor an absolute symlink, nor a
// symlink pointing outside, nor /proc's magic links can leave it. Every
// refusal is EACCES (the kernel's EXDEV for an escape is translated).
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpustd/runtime/options.h"

namespace gpustd::detail {

class sandbox {
 public:
  // Opens the preopened directories; throws runtime_error for one that
  // cannot be opened.
  explicit sandbox(const sandbox_options& o);
  ~sandbox();
  sandbox(const sandbox&) = delete;
  sandbox& operator=(const sandbox&) = delete;

  bool enabled() const noexcept { return enabled_; }

  // A path resolved to a directory descriptor and a path beneath it.
  struct place {
    int dir = -1;        // AT_FDCWD without a sandbox
    std::string rel;     // "." for the directory itself
    bool beneath = false;
  };
  // 0 or an errno value (EACCES: outside every directory, or a write where
  // only reading is allowed).
  int resolve(std::string_view path, bool write, place& out) const;

  // openat2 (or openat without a sandbox). Returns a descriptor or -errno.
  static int open_at(const place& p, int flags, unsigned mode);
  // The directory that holds the last component, opened O_PATH, and that
  // component ("" when the path has none, as "/" or "."). Returns the
  // descriptor (the caller closes it) or -errno.
  static int open_parent(const place& p, std::string& name);

  // Counts bytes about to be written; false (EDQUOT) past the limit.
  bool charge_write(std::uint64_t bytes) noexcept;

 private:
  struct root {
    std::string path;  // canonical, no trailing slash ("/" alone for the root)
    int fd = -1;
    bool writable = false;
  };
  bool enabled_;
  std::vector<root> roots_;
  std::uint64_t max_written_;
  std::atomic<std::uint64_t> written_{0};  // relaxed: a counter with a limit
};

// "/a/./b//../c" -> "/a/c"; ".." at the root stays at the root.
std::string normalize_absolute(std::string_view absolute);

}  // namespace gpustd::detail
