// gpustd::print, println, eprint, eprintln — std::print for device code.
//
//   gpustd::println("block {} of {}: sum = {:.3f}", blockIdx.x, gridDim.x, sum);
//
// The format string is checked at compile time against the arguments
// (format_string.h). The text is formatted on the host by {fmt}, so it is
// exactly what std::format gives for the same arguments. Each call's text
// reaches the stream in one piece, never interleaved with another call's;
// one thread's calls appear in the order it made them; a call returns once
// its text is in the runtime's output buffer (runtime.synchronize() and the
// runtime's end write everything out).
//
// Unlike std::print, which throws, these return the number of bytes of
// formatted text (println: with its '\n') or a negative errno value: -EPIPE
// or -EIO after the stream failed, -ENODEV without a runtime. An error of
// writing shows at the next call to the same stream, as with a buffered
// FILE.
#pragma once
#include "gpustd/console/c_streams.h"
#include "gpustd/console/format_string.h"
#include "gpustd/console/record_writer.h"

namespace gpustd {

namespace console_detail {
template <class... Args>
GPUSTD_INLINE int send_print(int fd, string_view fmt, bool newline, const Args&... args) {
  record_writer w(fd, protocol::record_kind::print, newline ? protocol::record_newline : 0);
  return static_cast<int>(w.send([&](record_writer& r) {
    r.format(fmt.data(), fmt.size());
    (r.print_arg(args), ...);
  }));
}
}  // namespace console_detail

template <class... Args>
GPUSTD_INLINE int print(format_string<Args...> fmt, const Args&... args) {
  return console_detail::send_print(1, fmt.get(), false, args...);
}
template <class... Args>
GPUSTD_INLINE int println(format_string<Args...> fmt, const Args&... args) {
  return console_detail::send_print(1, fmt.get(), true, args...);
}
GPUSTD_INLINE int println() { return console_detail::send_print(1, string_view("", 0), true); }

template <class... Args>
GPUSTD_INLINE int eprint(format_string<Args...> fmt, const Args&... args) {
  return console_detail::send_print(2, fmt.get(), false, args...);
}
template <class... Args>
GPUSTD_INLINE int eprintln(format_string<Args...> fmt, const Args&... args) {
  return console_detail::send_print(2, fmt.get(), true, args...);
}

// std::print(stream, ...): stream is stdout or stderr.
template <class... Args>
GPUSTD_INLINE int print(c_file f, format_string<Args...> fmt, const Args&... args) {
  return console_detail::send_print(f.fd, fmt.get(), false, args...);
}
template <class... Args>
GPUSTD_INLINE int println(c_file f, format_string<Args...> fmt, const Args&... args) {
  return console_detail::send_print(f.fd, fmt.get(), true, args...);
}

}  // namespace gpustd
