// Raw output to the process's stdout and stderr (descriptors 1 and 2), the
// console's byte path. gpustd::write (files/posix.h) sends these two
// descriptors here and every other one to the file service.
#pragma once
#include <cstddef>
#include <cstdint>

#include "gpustd/protocol/client.h"
#include "gpustd/protocol/opcodes.h"

namespace gpustd {

inline constexpr int stdin_fileno = 0;
inline constexpr int stdout_fileno = 1;
inline constexpr int stderr_fileno = 2;

namespace console_detail {

// Writes n bytes from `data` (any memory the calling thread can read) to
// descriptor 1 or 2. Each call's bytes reach the descriptor in one piece,
// never interleaved with another call's, up to the channel's
// max_request_bytes (64 MiB by default); longer writes go in pieces of that
// size. One thread's calls arrive in program order, after the text of its
// earlier print calls, and return once the bytes have reached the
// descriptor (or failed). Returns n or -errno (-EBADF, -EFAULT, -EPIPE,
// -ENODEV).
GPUSTD_INLINE std::int64_t console_write(int fd, const void* data, std::size_t n) {
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

}  // namespace console_detail
}  // namespace gpustd
