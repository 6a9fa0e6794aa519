// The calling thread's error number, as C's errno.
//
//   if (gpustd::open("in.txt", O_RDONLY) < 0)
//     gpustd::printf("open: %s\n", gpustd::strerror(gpustd::errno_ref()));
//
// Device code cannot use C's `errno` (a host thread's variable), so the file
// functions set gpustd::errno_ref() instead. On the GPU it lives in a table
// in device memory with one entry per resident thread (by SM, hardware warp
// slot and lane), so it belongs to the thread for as long as the thread runs;
// only a debugger's preemption, which may move a warp, could mix entries. On
// the CPU backend it is a thread_local (every emulated lane is an OS thread).
// Without a runtime, writes go to a spare int and reads see 0.
#pragma once
#include <cerrno>
#include <cstdint>

#include "gpustd/config.h"
#include "gpustd/platform/lane.h"
#include "gpustd/protocol/channel_symbol.h"

namespace gpustd {

#if GPUSTD_BACKEND_CUDA
namespace files_detail {
namespace {
__device__ int spare_errno;  // no runtime: writes land here (one per translation unit)
}
}  // namespace files_detail
GPUSTD_INLINE int& errno_ref() {
  const protocol::channel_view& ch = protocol::channel();
  if (!ch.thread_errno) return files_detail::spare_errno;
  const std::uint32_t i = platform::resident_warp_index() * warp_size + platform::lane_id();
  return ch.thread_errno[i < ch.errno_slots ? i : i % ch.errno_slots];
}
#else
GPUSTD_INLINE int& errno_ref() {
  static thread_local int value = 0;
  return value;
}
#endif

namespace files_detail {
// The C convention from a status: -errno sets errno and gives -1.
GPUSTD_INLINE std::int64_t c_result(std::int64_t status) {
  if (status >= 0) return status;
  errno_ref() = static_cast<int>(-status);
  return -1;
}
}  // namespace files_detail

// A short message for an error number (the C library's text for the common
// ones; "Unknown error" otherwise). Device code cannot call strerror.
GPUSTD_HOST_DEVICE inline const char* strerror(int e) {
  switch (e) {
    case 0: return "Success";
    case EPERM: return "Operation not permitted";
    case ENOENT: return "No such file or directory";
    case EINTR: return "Interrupted system call";
    case EIO: return "Input/output error";
    case E2BIG: return "Argument list too long";
    case EBADF: return "Bad file descriptor";
    case EAGAIN: return "Resource temporarily unavailable";
    case ENOMEM: return "Cannot allocate memory";
    case EACCES: return "Permission denied";
    case EFAULT: return "Bad address";
    case EBUSY: return "Device or resource busy";
    case EEXIST: return "File exists";
    case EXDEV: return "Invalid cross-device link";
    case ENODEV: return "No such device";
    case ENOTDIR: return "Not a directory";
    case EISDIR: return "Is a directory";
    case EINVAL: return "Invalid argument";
    case ENFILE: return "Too many open files in system";
    case EMFILE: return "Too many open files";
    case EFBIG: return "File too large";
    case ENOSPC: return "No space left on device";
    case ESPIPE: return "Illegal seek";
    case EROFS: return "Read-only file system";
    case EPIPE: return "Broken pipe";
    case ERANGE: return "Numerical result out of range";
    case ENAMETOOLONG: return "File name too long";
    case ENOSYS: return "Function not implemented";
    case ENOTEMPTY: return "Directory not empty";
    case ELOOP: return "Too many levels of symbolic links";
    case EPROTO: return "Protocol error";
    case EOVERFLOW: return "Value too large for defined data type";
    default: return "Unknown error";
  }
}

}  // namespace gpustd
