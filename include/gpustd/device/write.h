// gpustd::write — raw output to the process's stdout and stderr.
#pragma once
#include <cstddef>
#include <cstdint>

#include "gpustd/protocol/client.h"
#include "gpustd/protocol/opcodes.h"

namespace gpustd {

inline constexpr int stdout_fileno = 1;
inline constexpr int stderr_fileno = 2;

// Writes n bytes from `data` (any memory the calling thread can read: global,
// shared, local) to descriptor fd (1: stdout, 2: stderr). Each call's bytes
// reach the descriptor in one piece, never interleaved with another call's,
// up to the channel's max_request_bytes (64 MiB by default); longer writes
// go in pieces of that size. One thread's calls arrive in program order,
// after the text of the thread's earlier print calls. Unlike print, a write
// returns once its bytes have reached the descriptor (or failed), as the
// system call does: an error shows at the call that met it.
//
// Returns n, or a negative errno value: -EBADF (other descriptors),
// -EFAULT (null data with n > 0), -EPIPE (the reader went away), -ENODEV (no
// runtime). This is the system-call convention (as Linux's syscall layer);
// the C layer with errno comes with the files API.
//
//   gpustd::write(1, "hello\n", 6);
GPUSTD_INLINE std::int64_t write(int fd, const void* data, std::size_t n) {
  protocol::lane_request rq;
  rq.op = protocol::to_u16(protocol::opcode::write);
  const std::int32_t fd32 = fd;
  rq.args = &fd32;
  rq.arg_bytes = sizeof fd32;
  const auto* p = static_cast<const unsigned char*>(data);
  const std::uint64_t piece = protocol::channel().max_request_bytes > 2 * protocol::cell_bytes
                                  ? protocol::channel().max_request_bytes - protocol::cell_bytes
                                  : 0;
  std::size_t done = 0;
  do {
    std::size_t len = n - done;
    if (piece && len > piece) len = static_cast<std::size_t>(piece);
    rq.payload = p ? p + done : nullptr;
    rq.payload_bytes = static_cast<std::uint32_t>(len);
    const std::int64_t r = protocol::hostcall(rq);
    if (r < 0) return r;
    done += static_cast<std::size_t>(r);
  } while (done < n);
  return static_cast<std::int64_t>(done);
}

}  // namespace gpustd
