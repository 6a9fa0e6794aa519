// gpustd::printf, fprintf, puts, fputs, putchar, fputc — C's console output
// for device code, so that existing CUDA printf calls port by namespace:
//
//   printf("x = %d\n", x);   ->   gpustd::printf("x = %d\n", x);
//
// The host formats with the C library's own printf, one conversion at a
// time, so output matches host printf exactly. Unlike CUDA's printf nothing
// is dropped when output is plentiful (writers wait), output appears while
// the kernel runs, and the return value is C's: the number of bytes
// written, or a negative value on error.
//
// A conversion whose argument does not fit it (%d given a double, %s given
// an int, too few arguments) prints a bracketed message in its place
// instead of undefined behaviour; %n is refused the same way.
// A char pointer is sent as a string when its conversion is %s (at most the
// precision's bytes, as C reads them) and as a pointer otherwise.
#pragma once
#include <cstdio>

#include "gpustd/console/c_streams.h"
#include "gpustd/console/record_writer.h"

namespace gpustd {

namespace console_detail {

// Walks a printf format string conversion by conversion, to tell what each
// argument is for: '*' (a width or precision), or the conversion letter.
class printf_cursor {
 public:
  GPUSTD_INLINE explicit printf_cursor(const char* f) : p_(f) {}

  // What the next argument is for; 0 when the format has no more conversions.
  GPUSTD_INLINE char next() {
    if (!pending_) scan();
    if (stars_) {
      --stars_;
      return '*';
    }
    pending_ = false;
    return conv_;
  }
  // The value of a '*' argument just taken (a precision limits %s).
  GPUSTD_INLINE void star_value(int v) {
    if (precision_star_ && stars_ == 0) precision_ = v < 0 ? -1 : v;
  }
  GPUSTD_INLINE long long precision() const { return precision_; }

 private:
  GPUSTD_INLINE void scan() {
    conv_ = 0;
    stars_ = 0;
    precision_ = -1;
    precision_star_ = false;
    pending_ = true;
    while (*p_) {
      if (*p_++ != '%') continue;
      if (*p_ == '%') {
        ++p_;
        continue;
      }
      while (*p_ == '-' || *p_ == '+' || *p_ == ' ' || *p_ == '#' || *p_ == '0' || *p_ == '\'') ++p_;
      if (*p_ == '*') ++p_, ++stars_;
      while (*p_ >= '0' && *p_ <= '9') ++p_;
      if (*p_ == '.') {
        ++p_;
        if (*p_ == '*') {
          ++p_, ++stars_;
          precision_star_ = true;
        } else {
          precision_ = 0;
          while (*p_ >= '0' && *p_ <= '9') precision_ = precision_ * 10 + (*p_++ - '0');
        }
      }
      while (*p_ == 'h' || *p_ == 'l' || *p_ == 'j' || *p_ == 'z' || *p_ == 't' || *p_ == 'L' || *p_ == 'q') ++p_;
      if (*p_) conv_ = *p_++;
      return;
    }
  }

  const char* p_;
  char conv_ = 0;
  bool pending_ = false;
  bool precision_star_ = false;
  unsigned stars_ = 0;
  long long precision_ = -1;
};

template <class T>
GPUSTD_INLINE void printf_arg(record_writer& w, printf_cursor& cur, const T& v) {
  const char what = cur.next();
  if constexpr (is_char_pointer_v<T> || is_char_array_v<T>) {
    const char* s = reinterpret_cast<const char*>(static_cast<const void*>(v));
    if (what == 's') {
      const long long prec = cur.precision();
      const std::uint64_t limit = is_char_array_v<T> ? sizeof(T) : ~0ull;
      w.string(s, s ? bounded_length(s, prec >= 0 && std::uint64_t(prec) < limit ? std::uint64_t(prec) : limit) : 0);
    } else {
      w.scalar(protocol::item_tag::pointer, reinterpret_cast<std::uintptr_t>(s));
    }
  } else {
    constexpr protocol::item_tag tag = printf_tag<T>();
    using U = bare<T>;
    if constexpr (std::is_integral_v<U> || std::is_enum_v<U>) {
      if (what == '*') cur.star_value(static_cast<int>(v));
    }
    if constexpr (tag == protocol::item_tag::i32) w.scalar(tag, static_cast<int>(v));
    else if constexpr (tag == protocol::item_tag::f64) w.scalar(tag, static_cast<double>(v));
    else if constexpr (std::is_enum_v<U>) w.scalar(tag, static_cast<std::underlying_type_t<U>>(v));
    else w.print_arg(v);
  }
}

template <class... Args>
GPUSTD_INLINE int send_printf(int fd, const char* fmt, const Args&... args) {
  if (!fmt) return -1;
  record_writer w(fd, protocol::record_kind::printf);
  const std::uint64_t len = bounded_length(fmt, ~0ull);
  const std::int64_t r = w.send([&](record_writer& rw) {
    rw.format(fmt, len);
    if constexpr (sizeof...(Args) > 0) {
      printf_cursor cur(fmt);
      (printf_arg(rw, cur, args), ...);
    }
  });
  return r < 0 ? -1 : static_cast<int>(r);
}

GPUSTD_INLINE int send_text(int fd, const char* s, std::uint64_t n, bool newline) {
  record_writer w(fd, protocol::record_kind::text, newline ? protocol::record_newline : 0);
  return w.send([&](record_writer& r) { r.bytes(s, n); }) < 0 ? EOF : static_cast<int>(n + newline);
}

}  // namespace console_detail

template <class... Args>
GPUSTD_INLINE int printf(const char* fmt, const Args&... args) {
  return console_detail::send_printf(1, fmt, args...);
}
template <class... Args>
GPUSTD_INLINE int fprintf(c_file f, const char* fmt, const Args&... args) {
  return console_detail::send_printf(f.fd, fmt, args...);
}
// Writes s and a newline; returns a non-negative value or EOF.
GPUSTD_INLINE int puts(const char* s) {
  return s ? console_detail::send_text(1, s, console_detail::bounded_length(s, ~0ull), true) : EOF;
}
// Writes s; returns a non-negative value or EOF.
GPUSTD_INLINE int fputs(const char* s, c_file f) {
  return s ? console_detail::send_text(f.fd, s, console_detail::bounded_length(s, ~0ull), false) : EOF;
}
// Writes (unsigned char)c; returns it, or EOF.
GPUSTD_INLINE int fputc(int c, c_file f) {
  const char ch = static_cast<char>(c);
  return console_detail::send_text(f.fd, &ch, 1, false) == EOF ? EOF : static_cast<unsigned char>(ch);
}
GPUSTD_INLINE int putc(int c, c_file f) { return fputc(c, f); }
GPUSTD_INLINE int putchar(int c) { return fputc(c, c_file{1}); }

}  // namespace gpustd
