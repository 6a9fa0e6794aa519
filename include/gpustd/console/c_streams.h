// stdin, stdout and stderr that device code can name.
//
// C's `stdout` is a host variable, which device code cannot touch, so
// `fprintf(stdout, ...)` could not port to a kernel. This header redefines
// the three standard macros as gpustd::c_file values, which device code
// passes to gpustd::fprintf, fputs, fgets and print, and which host code
// converts to the FILE* it always had:
//
//   gpustd::fprintf(stderr, "bad value %d\n", v);   // in a kernel
//   std::fprintf(stderr, "bad value %d\n", v);      // in host code: unchanged
//   FILE* f = stdout;                                // host code: unchanged
//
// What host code cannot do with them: assign to stdout, or take its address.
// Define GPUSTD_NO_STDIO_MACROS before including gpustd to keep C's macros
// (then device code writes gpustd::c_stdout, c_stderr, c_stdin).
#pragma once
#include <cstdio>

#include "gpustd/config.h"

namespace gpustd {

namespace console_detail {
// Defined before the macros change: these name the C library's streams.
inline std::FILE* host_file(int fd) noexcept { return fd == 0 ? stdin : fd == 1 ? stdout : stderr; }
}  // namespace console_detail

// One of the three standard streams, by descriptor (0, 1 or 2).
struct c_file {
  int fd;
  // Host code: the C library's FILE* for this stream.
  operator std::FILE*() const noexcept { return console_detail::host_file(fd); }
};

inline constexpr c_file c_stdin{0};
inline constexpr c_file c_stdout{1};
inline constexpr c_file c_stderr{2};

}  // namespace gpustd

#ifndef GPUSTD_NO_STDIO_MACROS
#undef stdin
#undef stdout
#undef stderr
#define stdin (::gpustd::c_file{0})
#define stdout (::gpustd::c_file{1})
#define stderr (::gpustd::c_file{2})
#endif
