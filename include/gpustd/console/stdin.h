// Reading the process's stdin from device code.
//
//   gpustd::string line;
//   while (gpustd::getline(gpustd::cin, line)) { ... }
//
//   char buf[128];
//   while (gpustd::fgets(buf, sizeof buf, stdin)) { ... }
//
// Many threads may read at once. Each line goes to exactly one reader: a
// thread that takes part of a line (fgets with a small buffer) gets the rest
// of it at its next read, never another thread. At the end of stdin every
// reader sees end of file. Bytes come from the host 56 at a time, one round
// trip each (about 10 MB/s for one thread: the console is for text).
#pragma once
#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "gpustd/console/c_streams.h"
#include "gpustd/protocol/client.h"
#include "gpustd/protocol/console.h"
#include "gpustd/protocol/opcodes.h"
#include "gpustd/strings/string.h"

namespace gpustd {

namespace console_detail {
// One round trip: up to `max` (<= 56) bytes into `to`. Returns the status
// (count and stdin_status flags) or -errno.
GPUSTD_INLINE std::int64_t stdin_chunk(char* to, std::uint32_t max, protocol::stdin_mode mode) {
  protocol::stdin_args a{max < protocol::inline_arg_bytes ? max : protocol::inline_arg_bytes,
                         static_cast<std::uint8_t>(mode)};
  protocol::lane_request rq;
  rq.op = protocol::to_u16(protocol::opcode::stdin_read);
  rq.args = &a;
  rq.arg_bytes = sizeof a;
  unsigned char data[protocol::inline_arg_bytes];
  const std::int64_t r = protocol::hostcall(rq, data);
  if (r > 0) {
    const auto n = static_cast<std::uint32_t>(r & protocol::stdin_count_mask);
    for (std::uint32_t i = 0; i < n && i < a.max_bytes; ++i) to[i] = static_cast<char>(data[i]);
  }
  return r;
}
}  // namespace console_detail

// The result of getline: true while a line was read.
struct istream_status {
  bool good;
  bool eof;
  GPUSTD_HOST_DEVICE explicit operator bool() const noexcept { return good; }
};

struct istream_handle {};
inline constexpr istream_handle cin{};

// Reads the next line into `s`, without its '\n'. False at end of file (or
// when the device heap cannot hold the line; then the line is lost).
GPUSTD_INLINE istream_status getline(istream_handle, string& s) {
  s.clear();
  bool any = false;
  for (;;) {
    char chunk[protocol::inline_arg_bytes];
    const std::int64_t r = console_detail::stdin_chunk(chunk, sizeof chunk, protocol::stdin_mode::line);
    if (r < 0) return {false, false};
    const auto n = static_cast<std::uint32_t>(r & protocol::stdin_count_mask);
    if (n == 0 && (r & protocol::stdin_end_of_file)) return {any, true};
    any = true;
    const bool eol = r & protocol::stdin_end_of_line;
    const std::uint32_t keep = eol && n && chunk[n - 1] == '\n' ? n - 1 : n;
    if (!s.append(chunk, keep)) return {false, false};
    if (eol) return {true, false};
  }
}

// Reads up to n - 1 bytes of the current line (its '\n' included) into buf
// and ends it with 0, as C's fgets. Returns buf, or null at end of file
// with nothing read.
GPUSTD_INLINE char* fgets(char* buf, int n, c_file f) {
  if (f.fd != 0 || !buf || n <= 0) return nullptr;
  int got = 0;
  while (got < n - 1) {
    const std::int64_t r =
        console_detail::stdin_chunk(buf + got, static_cast<std::uint32_t>(n - 1 - got), protocol::stdin_mode::line);
    if (r < 0) return nullptr;
    got += static_cast<int>(r & protocol::stdin_count_mask);
    if (r & (protocol::stdin_end_of_line | protocol::stdin_end_of_file)) break;
  }
  buf[got] = 0;
  return got ? buf : nullptr;
}

// The next byte of stdin as an unsigned char, or EOF.
GPUSTD_INLINE int getchar() {
  char c;
  const std::int64_t r = console_detail::stdin_chunk(&c, 1, protocol::stdin_mode::bytes);
  return r > 0 && (r & protocol::stdin_count_mask) ? static_cast<unsigned char>(c) : EOF;
}
GPUSTD_INLINE int fgetc(c_file f) { return f.fd == 0 ? getchar() : EOF; }
GPUSTD_INLINE int getc(c_file f) { return fgetc(f); }

// Reads up to n bytes of stdin into buf (any memory); returns the count,
// 0 at end of file, or -errno.
GPUSTD_INLINE std::int64_t read_stdin(void* buf, std::uint64_t n) {
  auto* p = static_cast<char*>(buf);
  std::uint64_t got = 0;
  while (got < n) {
    const std::uint64_t want = n - got < protocol::inline_arg_bytes ? n - got : protocol::inline_arg_bytes;
    const std::int64_t r =
        console_detail::stdin_chunk(p + got, static_cast<std::uint32_t>(want), protocol::stdin_mode::bytes);
    if (r < 0) return got ? static_cast<std::int64_t>(got) : r;
    got += static_cast<std::uint64_t>(r & protocol::stdin_count_mask);
    if (r & protocol::stdin_end_of_file) break;
  }
  return static_cast<std::int64_t>(got);
}

// Reads all of stdin (until end of file) into `s`; returns its size, or
// -errno (-ENOMEM when the device heap cannot hold it).
GPUSTD_INLINE std::int64_t read_all_stdin(string& s) {
  s.clear();
  for (;;) {
    char chunk[protocol::inline_arg_bytes];
    const std::int64_t r = console_detail::stdin_chunk(chunk, sizeof chunk, protocol::stdin_mode::bytes);
    if (r < 0) return r;
    const auto n = static_cast<std::uint32_t>(r & protocol::stdin_count_mask);
    if (!s.append(chunk, n)) return -ENOMEM;
    if (r & protocol::stdin_end_of_file) return static_cast<std::int64_t>(s.size());
  }
}

}  // namespace gpustd
