// C's FILE streams from device code:
//
//   gpustd::FILE* f = gpustd::fopen("results.csv", "w");
//   if (!f) { gpustd::printf("fopen: %s\n", gpustd::strerror(gpustd::errno_ref())); return; }
//   gpustd::fprintf(f, "%d,%f\n", id, value);
//   gpustd::fclose(f);
//
// A gpustd::FILE lives on the device heap and names a descriptor of the
// program's table (files/posix.h); any thread may use it, and each call is
// one request that the host answers, so errors show at the call that met
// them (fflush has nothing to push: there is no device-side buffer). A
// FILE shared by threads keeps C's per-call atomicity: one fprintf's text is
// written whole, and concurrent fgets calls each get whole lines, every
// line to exactly one caller. The end-of-file and error indicators are the
// FILE's, set by whichever thread met them.
//
// stdin, stdout and stderr stay gpustd::c_file values (console/c_streams.h),
// for which the console functions and the overloads below work.
#pragma once
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "gpustd/console/printf.h"
#include "gpustd/console/stdin.h"
#include "gpustd/files/posix.h"
#include "gpustd/platform/atomic.h"

namespace gpustd {

struct FILE {
  int fd;
  int mode;        // O_RDONLY / O_WRONLY / O_RDWR | O_APPEND ... as opened
  int eof;         // indicators: written with relaxed device-scope atomics
  int error;
  int pushback;    // ungetc's byte, or -1 (relaxed device-scope atomic)
};

namespace files_detail {

// C's mode string to open flags; -1 for a mode C does not know.
GPUSTD_INLINE int open_flags(const char* mode) {
  if (!mode) return -1;
  int flags;
  switch (mode[0]) {
    case 'r': flags = O_RDONLY; break;
    case 'w': flags = O_WRONLY | O_CREAT | O_TRUNC; break;
    case 'a': flags = O_WRONLY | O_CREAT | O_APPEND; break;
    default: return -1;
  }
  for (const char* m = mode + 1; *m; ++m) {
    if (*m == '+') flags = (flags & ~O_ACCMODE) | O_RDWR;
    else if (*m == 'x') flags |= O_EXCL;
    else if (*m == 'e') flags |= O_CLOEXEC;
    else if (*m != 'b' && *m != 't') return -1;
  }
  return flags;
}

GPUSTD_INLINE void set_flag(int& flag) { platform::store_relaxed_device(flag, 1); }
GPUSTD_INLINE bool flag(int& f) { return platform::load_relaxed_device(f) != 0; }

// Takes the pushed-back byte, if any (-1: none).
GPUSTD_INLINE int take_pushback(FILE* f) { return platform::exchange_relaxed_device(f->pushback, -1); }

// size * count, false when it overflows (device code has no __builtin_mul_overflow).
GPUSTD_INLINE bool item_bytes(std::size_t size, std::size_t count, std::size_t& n) {
  if (count != 0 && size > ~std::size_t(0) / count) return false;
  n = size * count;
  return true;
}
// fread/fwrite's byte count; on overflow EOVERFLOW and the error indicator.
GPUSTD_INLINE bool stream_bytes(std::size_t size, std::size_t count, FILE* f, std::size_t& n) {
  if (item_bytes(size, count, n)) return true;
  errno_ref() = EOVERFLOW;
  set_flag(f->error);
  return false;
}

}  // namespace files_detail

// Opens `path` with a C mode ("r", "w", "a", "r+", "w+", "a+", with "b",
// "x", "e" allowed); null with errno on failure (EINVAL for a bad mode,
// ENOMEM when the device heap is full, and open's errors).
GPUSTD_INLINE FILE* fopen(const char* path, const char* mode) {
  const int flags = files_detail::open_flags(mode);
  if (flags < 0) {
    errno_ref() = EINVAL;
    return nullptr;
  }
  auto* f = static_cast<FILE*>(std::malloc(sizeof(FILE)));
  if (!f) {
    errno_ref() = ENOMEM;
    return nullptr;
  }
  const int fd = open(path, flags & ~O_CLOEXEC, 0666);
  if (fd < 0) {
    std::free(f);
    return nullptr;
  }
  *f = FILE{fd, flags, 0, 0, -1};
  return f;
}

// Closes the stream and frees it; 0, or EOF with errno.
GPUSTD_INLINE int fclose(FILE* f) {
  if (!f) {
    errno_ref() = EINVAL;
    return EOF;
  }
  const int r = close(f->fd);
  std::free(f);
  return r == 0 ? 0 : EOF;
}

GPUSTD_INLINE int fileno(FILE* f) { return f ? f->fd : static_cast<int>(files_detail::c_result(-EBADF)); }

// Items of `size` bytes: returns the number of whole items moved; a short
// count sets the end-of-file or error indicator.
GPUSTD_INLINE std::size_t fread(void* buf, std::size_t size, std::size_t count, FILE* f) {
  std::size_t n;
  if (!f || size == 0 || count == 0 || !files_detail::stream_bytes(size, count, f, n)) return 0;
  auto* p = static_cast<unsigned char*>(buf);
  std::size_t got = 0;
  if (const int c = files_detail::take_pushback(f); c >= 0) {
    if (!p) {
      errno_ref() = EFAULT;
      files_detail::set_flag(f->error);
      return 0;
    }
    p[got++] = static_cast<unsigned char>(c);
  }
  if (got < n) {
    const std::int64_t r = files_detail::transfer(f->fd, protocol::io_direction::read, 0, 0, p + got, n - got);
    if (r < 0) {
      files_detail::c_result(r);
      files_detail::set_flag(f->error);
    } else {
      got += static_cast<std::size_t>(r);
      if (got < n) files_detail::set_flag(f->eof);
    }
  }
  return got / size;
}

GPUSTD_INLINE std::size_t fwrite(const void* buf, std::size_t size, std::size_t count, FILE* f) {
  std::size_t n;
  if (!f || size == 0 || count == 0 || !files_detail::stream_bytes(size, count, f, n)) return 0;
  const std::int64_t r =
      files_detail::transfer(f->fd, protocol::io_direction::write, 0, 0, const_cast<void*>(buf), n);
  if (r < 0 || static_cast<std::size_t>(r) < n) {
    if (r < 0) files_detail::c_result(r);
    files_detail::set_flag(f->error);
  }
  return r < 0 ? 0 : static_cast<std::size_t>(r) / size;
}

// Reads up to n - 1 bytes of the current line ('\n' included) and a NUL;
// null at end of file with nothing read, or on an error.
GPUSTD_INLINE char* fgets(char* buf, int n, FILE* f) {
  if (!f || !buf || n <= 0) {
    errno_ref() = EINVAL;
    return nullptr;
  }
  int got = 0;
  if (n > 1)
    if (const int c = files_detail::take_pushback(f); c >= 0) {
      buf[got++] = static_cast<char>(c);
      if (c == '\n') {
        buf[got] = 0;
        return buf;
      }
    }
  if (got < n - 1) {
    const std::int64_t r = files_detail::transfer(f->fd, protocol::io_direction::read, protocol::io_line, 0,
                                                  buf + got, static_cast<std::uint64_t>(n - 1 - got));
    if (r < 0) {
      files_detail::c_result(r);
      files_detail::set_flag(f->error);
      return nullptr;
    }
    if (r == 0) files_detail::set_flag(f->eof);
    got += static_cast<int>(r);
  }
  buf[got] = 0;
  return got ? buf : nullptr;
}

GPUSTD_INLINE int fgetc(FILE* f) {
  if (!f) return EOF;
  if (const int c = files_detail::take_pushback(f); c >= 0) return c;
  unsigned char c;
  const std::int64_t r = files_detail::transfer(f->fd, protocol::io_direction::read, 0, 0, &c, 1);
  if (r == 1) return c;
  if (r < 0) {
    files_detail::c_result(r);
    files_detail::set_flag(f->error);
  } else {
    files_detail::set_flag(f->eof);
  }
  return EOF;
}
GPUSTD_INLINE int getc(FILE* f) { return fgetc(f); }

// Pushes one byte back (one at a time, as C guarantees); returns it or EOF.
GPUSTD_INLINE int ungetc(int c, FILE* f) {
  if (!f || c == EOF) return EOF;
  if (platform::load_relaxed_device(f->pushback) >= 0) return EOF;
  platform::store_relaxed_device(f->pushback, static_cast<int>(static_cast<unsigned char>(c)));
  platform::store_relaxed_device(f->eof, 0);
  return static_cast<unsigned char>(c);
}

GPUSTD_INLINE int fputs(const char* s, FILE* f) {
  if (!s || !f) {
    errno_ref() = EINVAL;
    return EOF;
  }
  const std::size_t n = files_detail::c_string_length(s);
  return n == 0 || fwrite(s, 1, n, f) == n ? 1 : EOF;
}
GPUSTD_INLINE int fputc(int c, FILE* f) {
  const unsigned char b = static_cast<unsigned char>(c);
  return fwrite(&b, 1, 1, f) == 1 ? b : EOF;
}
GPUSTD_INLINE int putc(int c, FILE* f) { return fputc(c, f); }

// printf-style text, formatted on the host by the C library (as
// gpustd::printf); returns the byte count or a negative value.
template <class... Args>
GPUSTD_INLINE int fprintf(FILE* f, const char* fmt, const Args&... args) {
  if (!f || !fmt) {
    errno_ref() = EINVAL;
    return -1;
  }
  const int r = console_detail::send_printf(f->fd, fmt, args...);
  if (r < 0) files_detail::set_flag(f->error);
  return r;
}

// Offsets: fseek returns 0 or -1 with errno; ftell the offset or -1.
GPUSTD_INLINE int fseek(FILE* f, long offset, int whence) {
  if (!f) return static_cast<int>(files_detail::c_result(-EBADF));
  // A pushed-back byte counts as read: SEEK_CUR starts one byte earlier.
  const int c = files_detail::take_pushback(f);
  const std::int64_t r = lseek(f->fd, offset - (whence == SEEK_CUR && c >= 0 ? 1 : 0), whence);
  if (r < 0) return -1;
  platform::store_relaxed_device(f->eof, 0);
  return 0;
}
GPUSTD_INLINE long ftell(FILE* f) {
  if (!f) return static_cast<long>(files_detail::c_result(-EBADF));
  const std::int64_t r = lseek(f->fd, 0, SEEK_CUR);
  if (r < 0) return -1;
  return static_cast<long>(r - (platform::load_relaxed_device(f->pushback) >= 0 ? 1 : 0));
}
GPUSTD_INLINE void rewind(FILE* f) {
  if (fseek(f, 0, SEEK_SET) == 0 && f) platform::store_relaxed_device(f->error, 0);
}

// Every write already reached the host when its call returned: fflush only
// reports the error indicator.
GPUSTD_INLINE int fflush(FILE* f) { return f && files_detail::flag(f->error) ? EOF : 0; }
GPUSTD_INLINE int feof(FILE* f) { return f && files_detail::flag(f->eof); }
GPUSTD_INLINE int ferror(FILE* f) { return f && files_detail::flag(f->error); }
GPUSTD_INLINE void clearerr(FILE* f) {
  if (!f) return;
  platform::store_relaxed_device(f->eof, 0);
  platform::store_relaxed_device(f->error, 0);
}

// C's remove (a file, or an empty directory) and rename.
GPUSTD_INLINE int remove(const char* path) {
  return static_cast<int>(files_detail::c_result(files_detail::path_request(protocol::path_kind::remove, path)));
}
GPUSTD_INLINE int rename(const char* from, const char* to) {
  return static_cast<int>(
      files_detail::c_result(files_detail::path_request(protocol::path_kind::rename, from, to)));
}

// The standard streams as C's FILE-taking calls see them.
GPUSTD_INLINE std::size_t fwrite(const void* buf, std::size_t size, std::size_t count, c_file f) {
  std::size_t n;
  if (size == 0 || count == 0 || !files_detail::item_bytes(size, count, n)) return 0;
  if (f.fd != 1 && f.fd != 2) return 0;
  const std::int64_t r = console_detail::console_write(f.fd, buf, n);
  return r < 0 ? (files_detail::c_result(r), 0) : static_cast<std::size_t>(r) / size;
}
GPUSTD_INLINE std::size_t fread(void* buf, std::size_t size, std::size_t count, c_file f) {
  std::size_t n;
  if (size == 0 || count == 0 || !files_detail::item_bytes(size, count, n) || f.fd != 0) return 0;
  const std::int64_t r = read_stdin(buf, n);
  return r < 0 ? (files_detail::c_result(r), 0) : static_cast<std::size_t>(r) / size;
}
GPUSTD_INLINE int fflush(c_file) { return 0; }  // the console's host side writes as text arrives

}  // namespace gpustd
