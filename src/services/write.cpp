// op write: the device's stdout (fd 1) and stderr (fd 2).
//
// Each lane's payload is written whole by one writev() run under a lock per
// descriptor, so no other call's bytes land inside it. Consecutive lanes of a
// request that write to the same descriptor share one system call. A lane
// gets the number of bytes written, or -errno (EBADF for a descriptor other
// than 1 and 2, EPIPE for a closed pipe: the host keeps running).
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "../runtime/thread_signals.h"
#include "gpustd/protocol/opcodes.h"
#include "services.h"

namespace gpustd::detail {
namespace {

struct write_args {
  std::int32_t fd;
};

// Writes every byte of iov[0..n); returns 0 or errno. Advances past partial writes.
int write_all(int fd, iovec* iov, int n) {
  while (n > 0) {
    ssize_t w = ::writev(fd, iov, std::min(n, IOV_MAX));
    if (w < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      if (e == EPIPE) discard_pending_sigpipe();
      return e;
    }
    auto left = static_cast<std::size_t>(w);
    while (n > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --n;
    }
    if (n > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return 0;
}

struct console_output {
  int fd[3] = {-1, -1, -1};
  std::mutex lock[3];
};

}  // namespace

void register_write(handler_table& table, const runtime_options& options) {
  auto out = std::make_shared<console_output>();
  out->fd[1] = options.stdout_fd;
  out->fd[2] = options.stderr_fd;
  table.set(
      protocol::to_u16(protocol::opcode::write),
      [out](request& r) {
        iovec iov[protocol::lanes_per_request];
        unsigned i = 0;
        while (i < r.lanes()) {
          const std::int32_t fd = r.arg<write_args>(i).fd;
          if (fd != 1 && fd != 2) {
            r.set_result(i++, -EBADF);
            continue;
          }
          // Lanes i..j-1 write to the same descriptor: one system call.
          unsigned j = i;
          int n = 0;
          while (j < r.lanes() && r.arg<write_args>(j).fd == fd) {
            auto p = r.payload(j);
            iov[n++] = {const_cast<std::byte*>(p.data()), p.size()};
            ++j;
          }
          int err;
          {
            std::lock_guard lk(out->lock[fd]);
            err = write_all(out->fd[fd], iov, n);
          }
          for (unsigned k = i; k < j; ++k)
            r.set_result(k, err ? -err : static_cast<std::int64_t>(r.payload(k).size()));
          i = j;
        }
      },
      handler_kind::polling);
}

}  // namespace gpustd::detail
