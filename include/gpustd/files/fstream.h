// C++ file streams from device code:
//
//   gpustd::ifstream in("config.txt");
//   gpustd::string key; double value;
//   while (in >> key >> value) { ... }
//
//   gpustd::ofstream out("result.txt");
//   out << "total " << sum << gpustd::endl;       // RAII: closed at scope end
//
// What differs from std:
// - There is no device-side buffer: each read goes to the host, each `<<`
//   statement is sent (and waited for) when it ends. So `out << a << b;` is
//   one request, and its failure shows in the stream's state after the
//   statement, not in the expression's value: write `out << x; if (!out)`.
// - `>>` is parsed on the host, by istream's own operator>> on the bytes at
//   the offset, so numbers read exactly as host code reads them. It needs a
//   seekable file (not a pipe). Supported: short, int, long, long long,
//   their unsigned forms, float, double, gpustd::string (a word).
// - ifstream, ofstream and fstream are one class with different default
//   modes: a write on an ifstream fails at run time (badbit) rather than at
//   compile time.
// - A stream object belongs to one thread at a time, as in std.
#pragma once
#include <cstdint>
#include <utility>

#include "gpustd/console/ios_base.h"
#include "gpustd/console/ostream.h"
#include "gpustd/files/posix.h"
#include "gpustd/strings/string.h"

namespace gpustd {

namespace files_detail {

// std::basic_filebuf::open's table of modes (ate and binary aside).
GPUSTD_INLINE int stream_open_flags(ios_base::openmode m) {
  switch (m & ~(ios_base::ate | ios_base::binary)) {
    case ios_base::out:
    case ios_base::out | ios_base::trunc: return O_WRONLY | O_CREAT | O_TRUNC;
    case ios_base::app:
    case ios_base::out | ios_base::app: return O_WRONLY | O_CREAT | O_APPEND;
    case ios_base::in: return O_RDONLY;
    case ios_base::in | ios_base::out: return O_RDWR;
    case ios_base::in | ios_base::out | ios_base::trunc: return O_RDWR | O_CREAT | O_TRUNC;
    case ios_base::in | ios_base::app:
    case ios_base::in | ios_base::out | ios_base::app: return O_RDWR | O_CREAT | O_APPEND;
    default: return -1;
  }
}

template <class T>
struct scan_type_of;
template <> struct scan_type_of<short> { static constexpr auto value = protocol::scan_type::i16; };
template <> struct scan_type_of<unsigned short> { static constexpr auto value = protocol::scan_type::u16; };
template <> struct scan_type_of<int> { static constexpr auto value = protocol::scan_type::i32; };
template <> struct scan_type_of<unsigned> { static constexpr auto value = protocol::scan_type::u32; };
template <> struct scan_type_of<long> { static constexpr auto value = protocol::scan_type::i64; };
template <> struct scan_type_of<unsigned long> { static constexpr auto value = protocol::scan_type::u64; };
template <> struct scan_type_of<long long> { static constexpr auto value = protocol::scan_type::i64; };
template <> struct scan_type_of<unsigned long long> { static constexpr auto value = protocol::scan_type::u64; };
template <> struct scan_type_of<float> { static constexpr auto value = protocol::scan_type::f32; };
template <> struct scan_type_of<double> { static constexpr auto value = protocol::scan_type::f64; };

}  // namespace files_detail

class file_stream {
 public:
  using iostate = ios_base::iostate;
  using openmode = ios_base::openmode;

  file_stream() = default;
  file_stream(const file_stream&) = delete;
  file_stream& operator=(const file_stream&) = delete;
  GPUSTD_INLINE file_stream(file_stream&& o) noexcept
      : fd_(o.fd_), state_(o.state_), gcount_(o.gcount_), default_mode_(o.default_mode_) {
    o.fd_ = -1;
  }
  GPUSTD_INLINE file_stream& operator=(file_stream&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) gpustd::close(fd_);
      fd_ = o.fd_;
      state_ = o.state_;
      gcount_ = o.gcount_;
      o.fd_ = -1;
    }
    return *this;
  }
  GPUSTD_INLINE ~file_stream() {
    if (fd_ >= 0) gpustd::close(fd_);
  }

  // Opens `path`; failbit (and errno) when it cannot, or when already open.
  GPUSTD_INLINE void open(const char* path, openmode mode) {
    if (fd_ >= 0) {
      state_ |= ios_base::failbit;
      return;
    }
    const int flags = files_detail::stream_open_flags(mode);
    if (flags < 0) {
      errno_ref() = EINVAL;
      state_ |= ios_base::failbit;
      return;
    }
    fd_ = gpustd::open(path, flags, 0666);
    if (fd_ < 0) {
      state_ |= ios_base::failbit;
      return;
    }
    if ((mode & ios_base::ate) && gpustd::lseek(fd_, 0, SEEK_END) < 0) {
      gpustd::close(fd_);
      fd_ = -1;
      state_ |= ios_base::failbit;
      return;
    }
    state_ = ios_base::goodbit;
  }
  GPUSTD_INLINE void open(const char* path) { open(path, default_mode_); }
  GPUSTD_INLINE bool is_open() const { return fd_ >= 0; }
  GPUSTD_INLINE void close() {
    if (fd_ < 0 || gpustd::close(fd_) != 0) state_ |= ios_base::failbit;
    fd_ = -1;
  }

  // State, as std::basic_ios.
  GPUSTD_INLINE iostate rdstate() const { return state_; }
  GPUSTD_INLINE bool good() const { return state_ == ios_base::goodbit; }
  GPUSTD_INLINE bool eof() const { return state_ & ios_base::eofbit; }
  GPUSTD_INLINE bool fail() const { return state_ & (ios_base::failbit | ios_base::badbit); }
  GPUSTD_INLINE bool bad() const { return state_ & ios_base::badbit; }
  GPUSTD_INLINE explicit operator bool() const { return !fail(); }
  GPUSTD_INLINE bool operator!() const { return fail(); }
  GPUSTD_INLINE void clear(iostate s = ios_base::goodbit) { state_ = s; }
  GPUSTD_INLINE void setstate(iostate s) { state_ |= s; }
  GPUSTD_INLINE int native_handle() const { return fd_; }

  // ---- input ----
  // Reads n bytes; fewer at end of file (then eofbit and failbit).
  GPUSTD_INLINE file_stream& read(char* s, std::int64_t n) {
    gcount_ = 0;
    if (!sentry() || n <= 0) return *this;
    const std::int64_t r =
        files_detail::transfer(fd_, protocol::io_direction::read, 0, 0, s, static_cast<std::uint64_t>(n));
    if (r < 0) {
      files_detail::c_result(r);
      state_ |= ios_base::badbit;
      return *this;
    }
    gcount_ = r;
    if (r < n) state_ |= ios_base::eofbit | ios_base::failbit;
    return *this;
  }
  GPUSTD_INLINE std::int64_t gcount() const { return gcount_; }
  // The next byte, or EOF (eofbit and failbit).
  GPUSTD_INLINE int get() {
    char c;
    read(&c, 1);
    return gcount_ == 1 ? static_cast<unsigned char>(c) : EOF;
  }
  // Reads the rest of the line into s (its '\n' taken, not stored), up to
  // n - 1 bytes and a NUL; failbit when nothing was read or the line did
  // not fit.
  GPUSTD_INLINE file_stream& getline(char* s, std::int64_t n) {
    gcount_ = 0;
    if (!sentry() || n <= 0) return *this;
    const std::int64_t r = files_detail::transfer(fd_, protocol::io_direction::read, protocol::io_line, 0, s,
                                                  static_cast<std::uint64_t>(n - 1));
    if (r < 0) {
      files_detail::c_result(r);
      state_ |= ios_base::badbit;
      s[0] = 0;
      return *this;
    }
    gcount_ = r;
    const bool ended = r > 0 && s[r - 1] == '\n';
    s[ended ? r - 1 : r] = 0;
    if (r == 0) state_ |= ios_base::eofbit | ios_base::failbit;
    else if (!ended && r == n - 1) state_ |= ios_base::failbit;  // the line goes on
    else if (!ended) state_ |= ios_base::eofbit;                  // last line, no '\n'
    return *this;
  }
  GPUSTD_INLINE std::int64_t tellg() { return fd_ >= 0 && !fail() ? gpustd::lseek(fd_, 0, SEEK_CUR) : -1; }
  GPUSTD_INLINE file_stream& seekg(std::int64_t pos) { return seek(pos, ios_base::beg); }
  GPUSTD_INLINE file_stream& seekg(std::int64_t off, ios_base::seekdir dir) { return seek(off, dir); }

  template <class T>
  GPUSTD_INLINE file_stream& operator>>(T& v) {
    static_assert(sizeof(files_detail::scan_type_of<T>::value) > 0, "operator>> reads integers and floats");
    if (!sentry()) return *this;
    const protocol::scan_args a{fd_, files_detail::scan_type_of<T>::value, 0, {0, 0}};
    files_detail::answer ans;
    const std::int64_t r = files_detail::call(protocol::opcode::file_scan, &a, sizeof a, nullptr, 0, &ans);
    const unsigned char* data = ans.bytes;
    if (r < 0) {
      files_detail::c_result(r);
      state_ |= ios_base::badbit;
      return *this;
    }
    std::memcpy(&v, data, sizeof v);
    if (r & protocol::scan_fail) state_ |= ios_base::failbit;
    if (r & protocol::scan_eof) state_ |= ios_base::eofbit;
    return *this;
  }
  // A word: whitespace skipped, then bytes up to the next whitespace.
  GPUSTD_INLINE file_stream& operator>>(string& s) {
    s.clear();
    if (!sentry()) return *this;
    for (std::uint8_t more = 0;; more = 1) {
      const protocol::scan_args a{fd_, protocol::scan_type::word, more, {0, 0}};
      files_detail::answer ans;
      const std::int64_t r = files_detail::call(protocol::opcode::file_scan, &a, sizeof a, nullptr, 0, &ans);
      const char* data = reinterpret_cast<const char*>(ans.bytes);
      if (r < 0) {
        files_detail::c_result(r);
        state_ |= ios_base::badbit;
        return *this;
      }
      if (r == 0 && !more) state_ |= ios_base::eofbit | ios_base::failbit;
      if (!s.append(data, static_cast<std::size_t>(r))) state_ |= ios_base::badbit;
      if (r < static_cast<std::int64_t>(protocol::inline_arg_bytes)) return *this;
    }
  }

  // ---- output ----
  GPUSTD_INLINE file_stream& write(const char* s, std::int64_t n) {
    if (!sentry() || n <= 0) return *this;
    const std::int64_t r = files_detail::transfer(fd_, protocol::io_direction::write, 0, 0, const_cast<char*>(s),
                                                  static_cast<std::uint64_t>(n));
    if (r != n) {
      if (r < 0) files_detail::c_result(r);
      state_ |= ios_base::badbit;
    }
    return *this;
  }
  GPUSTD_INLINE file_stream& put(char c) { return write(&c, 1); }
  // Every statement has reached the host when it ends: nothing to flush.
  GPUSTD_INLINE file_stream& flush() { return *this; }
  GPUSTD_INLINE std::int64_t tellp() { return tellg(); }
  GPUSTD_INLINE file_stream& seekp(std::int64_t pos) { return seek(pos, ios_base::beg); }
  GPUSTD_INLINE file_stream& seekp(std::int64_t off, ios_base::seekdir dir) { return seek(off, dir); }

  // For operator<< (below): the descriptor a statement writes to, or -1
  // when the stream cannot take output.
  GPUSTD_INLINE int output_fd() const { return good() || state_ == ios_base::eofbit ? fd_ : -1; }
  GPUSTD_INLINE unsigned* state_word() { return &state_; }

 protected:
  GPUSTD_INLINE explicit file_stream(openmode default_mode) : default_mode_(default_mode) {}
  GPUSTD_INLINE file_stream(const char* path, openmode mode, openmode default_mode) : default_mode_(default_mode) {
    open(path, mode);
  }

 private:
  // istream's sentry, in short: a stream that failed does nothing.
  GPUSTD_INLINE bool sentry() {
    if (fd_ < 0 || fail()) {
      state_ |= ios_base::failbit;
      return false;
    }
    return true;
  }
  GPUSTD_INLINE file_stream& seek(std::int64_t off, ios_base::seekdir dir) {
    state_ &= ~ios_base::eofbit;  // C++11: seekg clears eofbit first
    if (fd_ < 0 || fail() || gpustd::lseek(fd_, off, dir) < 0) state_ |= ios_base::failbit;
    return *this;
  }

  int fd_ = -1;
  unsigned state_ = ios_base::goodbit;
  std::int64_t gcount_ = 0;
  openmode default_mode_ = ios_base::in | ios_base::out;
};

class ifstream : public file_stream {
 public:
  GPUSTD_INLINE ifstream() : file_stream(ios_base::in) {}
  GPUSTD_INLINE explicit ifstream(const char* path, openmode mode = ios_base::in)
      : file_stream(path, mode | ios_base::in, ios_base::in) {}
  GPUSTD_INLINE void open(const char* path, openmode mode = ios_base::in) { file_stream::open(path, mode | ios_base::in); }
};
class ofstream : public file_stream {
 public:
  GPUSTD_INLINE ofstream() : file_stream(ios_base::out) {}
  GPUSTD_INLINE explicit ofstream(const char* path, openmode mode = ios_base::out)
      : file_stream(path, mode | ios_base::out, ios_base::out) {}
  GPUSTD_INLINE void open(const char* path, openmode mode = ios_base::out) {
    file_stream::open(path, mode | ios_base::out);
  }
};
class fstream : public file_stream {
 public:
  GPUSTD_INLINE fstream() : file_stream(ios_base::in | ios_base::out) {}
  GPUSTD_INLINE explicit fstream(const char* path, openmode mode = ios_base::in | ios_base::out)
      : file_stream(path, mode, ios_base::in | ios_base::out) {}
};

// Reads the next line into s, without its '\n' (as std::getline): failbit
// when there was none, eofbit when the file ended first.
GPUSTD_INLINE file_stream& getline(file_stream& in, string& s) {
  s.clear();
  if (!in) {
    in.setstate(ios_base::failbit);
    return in;
  }
  for (bool any = false;;) {
    char chunk[256];
    const std::int64_t r = files_detail::transfer(in.native_handle(), protocol::io_direction::read,
                                                  protocol::io_line, 0, chunk, sizeof chunk);
    if (r < 0) {
      files_detail::c_result(r);
      in.setstate(ios_base::badbit);
      return in;
    }
    if (r == 0) {
      in.setstate(any ? ios_base::eofbit : ios_base::eofbit | ios_base::failbit);
      return in;
    }
    any = true;
    const bool ended = chunk[r - 1] == '\n';
    if (!s.append(chunk, static_cast<std::size_t>(ended ? r - 1 : r))) {
      in.setstate(ios_base::badbit);
      return in;
    }
    if (ended) return in;
  }
}

// out << a << b << ... : one statement, sent when it ends; a failure sets
// badbit on `out`.
template <class T>
GPUSTD_INLINE ostream_statement operator<<(file_stream& out, const T& v) {
  return ostream_statement(out.output_fd(), v, out.state_word());
}

}  // namespace gpustd
