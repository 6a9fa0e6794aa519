// One entry of the program's descriptor table: a host descriptor (or
// directory stream) that device code opened, with the offset the host keeps
// for it.
#pragma once
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "gpustd/protocol/files.h"

namespace gpustd::detail {

struct open_file {
  int host_fd = -1;
  int flags = 0;           // the open flags the device asked for
  bool seekable = false;   // regular file or block device: pread/pwrite at `offset`
  DIR* dir = nullptr;      // opened by path_op opendir: a directory stream
  std::string path;        // as opened (diagnostics)

  // Guards offset, read-ahead and the directory stream. Positioned I/O
  // (pread/pwrite) does not take it.
  std::mutex lock;
  std::int64_t offset = 0;
  // Read-ahead for small reads (fgets, fgetc): bytes of the file from
  // ahead_at, used while the offset lies inside them, and stale once a write through this
  // descriptor (pwrite included, which does not take `lock`) has bumped
  // `writes` since it was filled (release by the writer, acquire here).
  std::string ahead;
  std::int64_t ahead_at = -1;
  std::uint64_t ahead_writes = 0;
  std::atomic<std::uint64_t> writes{0};
  // The entry dir_read gave last (for names longer than one answer).
  std::string entry_name;
  protocol::entry_type entry_type = protocol::entry_type::unknown;

  bool readable() const noexcept { return (flags & O_ACCMODE) != O_WRONLY && !dir; }
  bool writable() const noexcept { return (flags & O_ACCMODE) != O_RDONLY && !dir; }

  ~open_file() {
    if (dir) ::closedir(dir);
    else if (host_fd >= 0) ::close(host_fd);
  }
};

}  // namespace gpustd::detail
