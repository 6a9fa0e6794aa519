// POSIX-style file descriptors from device code:
//
//   int fd = gpustd::open("out.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
//   if (fd < 0) { gpustd::printf("open: %s\n", gpustd::strerror(gpustd::errno_ref())); return; }
//   gpustd::pwrite(fd, data + i * n, n, i * n);   // from many threads at once
//   gpustd::close(fd);
//
// Descriptors are the program's own table, kept by the host runtime: a
// kernel can reach only files it opened, and 0, 1 and 2 (the runtime's
// stdin, stdout, stderr). They are shared by every thread of every kernel
// while the runtime lives. Errors are C's: -1 with gpustd::errno_ref() set.
//
// How the bytes move: a buffer of protocol::bulk_min_bytes (4 KiB) or more
// in device global memory (cudaMalloc, cudaMallocManaged, __device__ arrays)
// moves by DMA, which the host runs on its own streams while the kernel goes
// on, in parallel chunks. Anything else (local or shared memory, the device
// heap, small buffers) is copied through the channel: a write as the
// request's payload, a read 56 bytes per round trip (fine for lines and
// records, slow for megabytes: read those into global memory).
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "gpustd/console/stdin.h"
#include "gpustd/device/write.h"
#include "gpustd/files/errno.h"
#include "gpustd/platform/lane.h"
#include "gpustd/protocol/client.h"
#include "gpustd/protocol/files.h"
#include "gpustd/protocol/opcodes.h"
#include "gpustd/strings/string_view.h"

namespace gpustd {

namespace files_detail {

// A lane's answer: the 56 data bytes the host sends back.
struct answer {
  alignas(8) unsigned char bytes[protocol::inline_arg_bytes];
  template <class T>
  GPUSTD_INLINE T as() const {
    static_assert(sizeof(T) <= sizeof bytes);
    T v;
    std::memcpy(&v, bytes, sizeof v);
    return v;
  }
};

// One file-service request; returns the status. Not inlined: every file
// function shares this one copy of the channel's code (compile time and
// code size; a round trip costs microseconds, a call nanoseconds).
GPUSTD_NOINLINE std::int64_t call(protocol::opcode op, const void* args, std::uint32_t arg_bytes,
                                const void* payload = nullptr, std::uint32_t payload_bytes = 0,
                                answer* data = nullptr) {
  protocol::lane_request rq;
  rq.op = protocol::to_u16(op);
  rq.args = args;
  rq.arg_bytes = arg_bytes;
  rq.payload = payload;
  rq.payload_bytes = payload_bytes;
  return protocol::hostcall(rq, data ? data->bytes : nullptr);
}

// A C string's length, as the channel's 32-bit lengths carry it.
GPUSTD_INLINE std::uint32_t c_string_length(const char* s) {
  return static_cast<std::uint32_t>(string_view(s).size());
}

// Moves n bytes between buf and descriptor fd (at `offset` when flags has
// io_positioned). Returns the bytes moved (fewer at end of file, or after a
// line's '\n' with io_line) or -errno.
GPUSTD_NOINLINE std::int64_t transfer(int fd, protocol::io_direction dir, std::uint8_t flags, std::int64_t offset,
                                      void* buf, std::uint64_t n) {
  using namespace protocol;
  if (n && !buf) return -EFAULT;
  if (n > 0x7fffffffffffffffull) return -EINVAL;
  io_args a{fd, dir, io_transfer::inline_bytes, flags, 0, offset, 0, n};
  auto* p = static_cast<unsigned char*>(buf);
  if (n >= bulk_min_bytes && !(flags & io_line) && platform::in_global_memory(buf)) {
    a.transfer = io_transfer::bulk;
    a.address = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(buf));
    const std::int64_t r = call(opcode::file_io, &a, sizeof a);
    if (r != status_use_inline) return r;
    a.transfer = io_transfer::inline_bytes;  // memory the host cannot reach: through the channel
    a.address = 0;
  }
  const bool positioned = flags & io_positioned;
  std::uint64_t done = 0;
  if (dir == io_direction::write) {
    const std::uint64_t piece = 1u << 20;  // payload per request
    do {
      const std::uint64_t len = n - done < piece ? n - done : piece;
      a.length = len;
      if (positioned) a.offset = offset + static_cast<std::int64_t>(done);
      const std::int64_t r = call(opcode::file_io, &a, sizeof a, p + done, static_cast<std::uint32_t>(len));
      if (r < 0) return done ? static_cast<std::int64_t>(done) : r;
      done += static_cast<std::uint64_t>(r);
      if (static_cast<std::uint64_t>(r) < len) break;
    } while (done < n);
    return static_cast<std::int64_t>(done);
  }
  while (done < n) {
    const std::uint64_t want = n - done < inline_arg_bytes ? n - done : inline_arg_bytes;
    a.length = want;
    if (positioned) a.offset = offset + static_cast<std::int64_t>(done);
    answer ans;
    const std::int64_t r = call(opcode::file_io, &a, sizeof a, nullptr, 0, &ans);
    const unsigned char* data = ans.bytes;
    if (r < 0) return done ? static_cast<std::int64_t>(done) : r;
    const auto got = static_cast<std::uint64_t>(r);
    for (std::uint64_t i = 0; i < got && i < want; ++i) p[done + i] = data[i];
    done += got;
    if (got < want || got == 0) break;                   // end of file, or a short read
    if ((flags & io_line) && data[got - 1] == '\n') break;  // the line is complete
  }
  return static_cast<std::int64_t>(done);
}

// A C string or a counted one, as paths travel (no terminating NUL).
struct path_bytes {
  const char* p;
  std::uint32_t n;
};

// One path operation on one or two counted paths; returns the status.
GPUSTD_NOINLINE std::int64_t path_request(protocol::path_kind kind, path_bytes first, path_bytes second,
                                          std::uint32_t arg, answer* data) {
  using namespace protocol;
  if (!first.p || ((kind == path_kind::rename || kind == path_kind::copy_file) && !second.p)) return -EFAULT;
  path_args a{kind, {0, 0, 0}, first.n, arg};
  if (second.n == 0)
    return call(opcode::path_op, &a, sizeof a, first.p, first.n, data);
  // Two paths: one payload. Short ones are joined on the stack; long ones
  // on the device heap.
  const std::uint64_t total = std::uint64_t(first.n) + second.n;
  char local[512];
  char* joined = total <= sizeof local ? local : static_cast<char*>(std::malloc(total));
  if (!joined) return -ENOMEM;
  for (std::uint32_t i = 0; i < first.n; ++i) joined[i] = first.p[i];
  for (std::uint32_t i = 0; i < second.n; ++i) joined[first.n + i] = second.p[i];
  const std::int64_t r = call(opcode::path_op, &a, sizeof a, joined, static_cast<std::uint32_t>(total), data);
  if (joined != local) std::free(joined);
  return r;
}

GPUSTD_INLINE std::int64_t path_request(protocol::path_kind kind, const char* first, const char* second = nullptr,
                                        std::uint32_t arg = 0, answer* data = nullptr) {
  return path_request(kind, {first, first ? c_string_length(first) : 0u},
                      {second, second ? c_string_length(second) : 0u}, arg, data);
}

// wire_stat into the C library's struct stat (fields it does not carry: 0).
GPUSTD_INLINE void to_stat(const protocol::wire_stat& w, struct ::stat* st) {
  auto* bytes = reinterpret_cast<unsigned char*>(st);
  for (std::size_t i = 0; i < sizeof(struct ::stat); ++i) bytes[i] = 0;
  st->st_size = w.size;
  st->st_mode = w.mode;
  st->st_nlink = w.nlink;
  st->st_uid = w.uid;
  st->st_gid = w.gid;
  st->st_ino = w.ino;
  st->st_dev = w.dev;
  st->st_mtim.tv_sec = w.mtime_ns / 1000000000;
  st->st_mtim.tv_nsec = w.mtime_ns % 1000000000;
}

}  // namespace files_detail

// Opens `path` (relative to the host process's working directory) with
// O_RDONLY, O_WRONLY or O_RDWR and any of O_CREAT, O_EXCL, O_TRUNC,
// O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_SYNC, O_DSYNC, O_NONBLOCK; returns a
// descriptor (3 and up) or -1 with errno (ENOENT, EACCES, EISDIR, EMFILE,
// EINVAL for other flags, EFAULT for a null path, ...).
GPUSTD_INLINE int open(const char* path, int flags, unsigned mode = 0) {
  if (!path) return static_cast<int>(files_detail::c_result(-EFAULT));
  const protocol::open_args a{flags, mode};
  return static_cast<int>(files_detail::c_result(files_detail::call(
      protocol::opcode::file_open, &a, sizeof a, path, files_detail::c_string_length(path))));
}

// Closes a descriptor; 0 or -1 with errno EBADF. Closing 0, 1 or 2 does
// nothing (the runtime's streams stay open) and returns 0.
GPUSTD_INLINE int close(int fd) {
  const protocol::fd_args a{fd};
  return static_cast<int>(files_detail::c_result(files_detail::call(protocol::opcode::file_close, &a, sizeof a)));
}

// Reads up to n bytes at the descriptor's offset (descriptor 0: stdin);
// returns the count (0 at end of file) or -1 with errno.
GPUSTD_INLINE std::int64_t read(int fd, void* buf, std::size_t n) {
  if (fd == stdin_fileno) {
    if (n && !buf) return files_detail::c_result(-EFAULT);
    return files_detail::c_result(read_stdin(buf, n));
  }
  return files_detail::c_result(files_detail::transfer(fd, protocol::io_direction::read, 0, 0, buf, n));
}

// Writes n bytes at the descriptor's offset (at the end with O_APPEND; to
// the console for 1 and 2); returns the count or -1 with errno.
GPUSTD_INLINE std::int64_t write(int fd, const void* buf, std::size_t n) {
  if (fd == stdout_fileno || fd == stderr_fileno) return files_detail::c_result(console_detail::console_write(fd, buf, n));
  return files_detail::c_result(
      files_detail::transfer(fd, protocol::io_direction::write, 0, 0, const_cast<void*>(buf), n));
}

// Reads or writes at `offset` without moving the descriptor's offset. Many
// threads may write disjoint ranges of one file at once; they run in
// parallel on the host.
GPUSTD_INLINE std::int64_t pread(int fd, void* buf, std::size_t n, std::int64_t offset) {
  return files_detail::c_result(
      files_detail::transfer(fd, protocol::io_direction::read, protocol::io_positioned, offset, buf, n));
}
GPUSTD_INLINE std::int64_t pwrite(int fd, const void* buf, std::size_t n, std::int64_t offset) {
  return files_detail::c_result(files_detail::transfer(fd, protocol::io_direction::write, protocol::io_positioned,
                                                       offset, const_cast<void*>(buf), n));
}

// Moves the descriptor's offset (SEEK_SET, SEEK_CUR, SEEK_END); returns the
// new offset or -1 with errno (ESPIPE for a pipe, EINVAL).
GPUSTD_INLINE std::int64_t lseek(int fd, std::int64_t offset, int whence) {
  const protocol::seek_args a{fd, whence, offset};
  return files_detail::c_result(files_detail::call(protocol::opcode::file_seek, &a, sizeof a));
}

// File status into the C library's struct stat: size, mode, nlink, uid,
// gid, ino, dev and mtime (the other fields read 0).
GPUSTD_INLINE int fstat(int fd, struct ::stat* st) {
  if (!st) return static_cast<int>(files_detail::c_result(-EFAULT));
  const protocol::fd_args a{fd};
  files_detail::answer ans;
  const std::int64_t r = files_detail::call(protocol::opcode::file_stat, &a, sizeof a, nullptr, 0, &ans);
  if (r < 0) return static_cast<int>(files_detail::c_result(r));
  files_detail::to_stat(ans.as<protocol::wire_stat>(), st);
  return 0;
}
namespace files_detail {
GPUSTD_INLINE int stat_path(protocol::path_kind kind, const char* path, struct ::stat* st) {
  if (!st) return static_cast<int>(c_result(-EFAULT));
  answer ans;
  const std::int64_t r = path_request(kind, path, nullptr, 0, &ans);
  if (r < 0) return static_cast<int>(c_result(r));
  to_stat(ans.as<protocol::wire_stat>(), st);
  return 0;
}
}  // namespace files_detail
// stat follows a final symbolic link, lstat describes the link itself.
GPUSTD_INLINE int stat(const char* path, struct ::stat* st) {
  return files_detail::stat_path(protocol::path_kind::stat, path, st);
}
GPUSTD_INLINE int lstat(const char* path, struct ::stat* st) {
  return files_detail::stat_path(protocol::path_kind::lstat, path, st);
}

GPUSTD_INLINE int unlink(const char* path) {
  return static_cast<int>(files_detail::c_result(files_detail::path_request(protocol::path_kind::unlink, path)));
}
GPUSTD_INLINE int mkdir(const char* path, unsigned mode = 0777) {
  return static_cast<int>(
      files_detail::c_result(files_detail::path_request(protocol::path_kind::mkdir, path, nullptr, mode)));
}
GPUSTD_INLINE int rmdir(const char* path) {
  return static_cast<int>(files_detail::c_result(files_detail::path_request(protocol::path_kind::rmdir, path)));
}
// R_OK, W_OK, X_OK or F_OK: 0 when allowed, else -1 with errno.
GPUSTD_INLINE int access(const char* path, int how) {
  return static_cast<int>(files_detail::c_result(
      files_detail::path_request(protocol::path_kind::access, path, nullptr, static_cast<std::uint32_t>(how))));
}

}  // namespace gpustd
