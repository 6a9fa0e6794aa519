// Wire format of the file service (ops file_open .. dir_read), shared by
// the device's file functions and the host's descriptor table.
//
// Descriptors are the program's own: the host keeps a table from device
// descriptor to host descriptor, so device code reaches only what it opened
// (0, 1 and 2 are the runtime's stdin, stdout and stderr). Flags and mode
// bits are Linux's (<fcntl.h>, <sys/stat.h>), which both sides include.
//
// Data moves one of two ways (io_args::transfer):
//   inline  the bytes travel in the channel: the request's payload (write)
//           or the answer's 56 data bytes (read; the device loops). Any
//           memory works: local, shared, global.
//   bulk    the request names a range of device global memory and the host
//           moves it by DMA on its own stream while kernels run, in chunks
//           that several host threads copy and write in parallel. A range
//           the host cannot reach by DMA (device heap, unknown) is answered
//           with status_use_inline and the device falls back to inline.
#pragma once
#include <cerrno>
#include <cstdint>

#include "gpustd/config.h"
#include "gpustd/protocol/status.h"

namespace gpustd::protocol {

// A read or write this long or longer into global memory goes in bulk.
inline constexpr std::uint64_t bulk_min_bytes = 4096;

struct open_args {
  std::int32_t flags;  // O_RDONLY, O_WRONLY, O_RDWR | O_CREAT, O_TRUNC, O_APPEND, O_EXCL, ...
  std::uint32_t mode;  // permission bits for O_CREAT
};

struct fd_args {
  std::int32_t fd;
};

enum class io_direction : std::uint8_t { read = 0, write = 1 };
enum class io_transfer : std::uint8_t { inline_bytes = 0, bulk = 1 };
enum io_flags : std::uint8_t {
  io_positioned = 1u << 0,  // at `offset` (pread/pwrite); the descriptor's offset stays
  io_line = 1u << 1,        // read: stop after the first '\\n' (fgets, getline)
};

struct io_args {
  std::int32_t fd;
  io_direction direction;
  io_transfer transfer;
  std::uint8_t flags;      // io_flags
  std::uint8_t reserved;
  std::int64_t offset;     // io_positioned only
  std::uint64_t address;   // bulk: device address of the buffer
  std::uint64_t length;    // bytes to move (inline read: at most 56)
};
static_assert(sizeof(io_args) == 32);

struct seek_args {
  std::int32_t fd;
  std::int32_t whence;  // SEEK_SET, SEEK_CUR, SEEK_END
  std::int64_t offset;
};

// File status, as much of struct stat as fits an answer.
struct wire_stat {
  std::int64_t size;
  std::int64_t mtime_ns;  // since the epoch
  std::uint64_t ino;
  std::uint64_t dev;
  std::uint32_t mode;     // type and permission bits (S_IFREG, 0644, ...)
  std::uint32_t nlink;
  std::uint32_t uid;
  std::uint32_t gid;
};
static_assert(sizeof(wire_stat) == 48);

// Operations on paths. Payload: the path (path_args::first_bytes bytes), then
// for rename and copy_file the second path (the rest of the payload). Paths
// are not NUL-terminated on the wire; one with a NUL inside is refused with
// EINVAL.
enum class path_kind : std::uint8_t {
  stat = 0,        // answer: wire_stat (follows symlinks)
  lstat = 1,       // answer: wire_stat
  mkdir = 2,       // arg: mode
  rmdir = 3,
  unlink = 4,
  remove = 5,      // C remove(): unlink, or rmdir for a directory
  rename = 6,
  remove_all = 7,  // returns the number of entries removed
  copy_file = 8,   // arg: copy_options; returns 1 when copied, 0 when skipped
  opendir = 9,     // returns a descriptor for dir_read
  mkdirs = 10,     // create_directories: returns 1 when any was created
  access = 11,     // arg: R_OK | W_OK | X_OK | F_OK
};
enum copy_options : std::uint32_t {
  copy_none = 0,               // fail with EEXIST when the target exists
  copy_skip_existing = 1,
  copy_overwrite_existing = 2,
  copy_update_existing = 4,    // overwrite when the source is newer
};

struct path_args {
  path_kind kind;
  std::uint8_t reserved[3];
  std::uint32_t first_bytes;  // length of the first path
  std::uint32_t arg;          // mode, copy_options or access mode
};

// dir_read answer: status = name length | type << 32 (0 at the end of the
// directory), data = up to 56 bytes of the name from `name_offset`. With
// name_offset > 0 the host answers again about the entry it gave last.
struct dir_args {
  std::int32_t fd;
  std::uint32_t name_offset;
};
enum class entry_type : std::uint8_t { unknown = 0, regular = 1, directory = 2, symlink = 3, other = 4 };
GPUSTD_HOST_DEVICE constexpr std::int64_t dir_status(std::uint32_t name_bytes, entry_type t) {
  return std::int64_t(name_bytes) | (std::int64_t(t) << 32);
}

// file_scan: `>>` on a file stream. The host reads what istream's operator>>
// would at the descriptor's offset (whitespace skipped, then the longest
// prefix that is a number of the type) and moves the offset past it, so a
// number parses exactly as in host code.
enum class scan_type : std::uint8_t { i16, u16, i32, u32, i64, u64, f32, f64, word };
struct scan_args {
  std::int32_t fd;
  scan_type type;
  std::uint8_t more;  // word: continue the word begun (no whitespace skipped)
  std::uint8_t reserved[2];
};
// Status bits of a number (data: the value's bytes) — istream's state bits.
enum scan_bits : std::int64_t { scan_eof = 1, scan_fail = 2 };
// A word: status = its bytes in this answer (at most 56; fewer: the word
// ended), data = the bytes. An empty first answer: end of file.

}  // namespace gpustd::protocol
