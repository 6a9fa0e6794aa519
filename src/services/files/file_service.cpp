#include "file_service.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "gpustd/protocol/opcodes.h"
#include "stat_convert.h"

namespace gpustd::detail {

using namespace protocol;

namespace {
constexpr std::size_t read_ahead_bytes = 64 * 1024;
// Flags device code may pass to open; anything else is refused with EINVAL.
constexpr int allowed_open_flags = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_NOCTTY | O_NONBLOCK |
                                   O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_SYNC | O_DSYNC;

std::string_view text_of(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
}  // namespace

int check_path(std::string_view p) {
  if (p.find('\0') != std::string_view::npos) return EINVAL;
  if (p.size() >= PATH_MAX) return ENAMETOOLONG;
  return 0;
}

file_service::file_service(const runtime_options& options, device_memory& memory, runtime_log& log)
    : options_(options),
      memory_(memory),
      log_(log),
      sandbox_(options.sandbox),
      table_(options.max_open_files),
      mover_(memory, options.io_threads, options.bulk_chunk_bytes) {}

int file_service::standard_fd(int fd) const noexcept {
  return fd == 0 ? options_.stdin_fd : fd == 1 ? options_.stdout_fd : fd == 2 ? options_.stderr_fd : -1;
}

// ---- open, close ----

void file_service::handle_open(request& r) {
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const auto a = r.arg<open_args>(i);
    const std::string_view p = text_of(r.payload(i));
    if (const int e = check_path(p)) {
      r.set_result(i, -e);
      continue;
    }
    if (a.flags & ~allowed_open_flags) {
      r.set_result(i, -EINVAL);
      continue;
    }
    // Opening to write, or to create or truncate, needs a writable place.
    const bool write = (a.flags & O_ACCMODE) != O_RDONLY || (a.flags & (O_CREAT | O_TRUNC | O_APPEND));
    sandbox::place where;
    if (const int e = sandbox_.resolve(p, write, where)) {
      r.set_result(i, -e);
      continue;
    }
    auto f = std::make_shared<open_file>();
    f->path.assign(p);
    f->flags = a.flags;
    f->host_fd = sandbox::open_at(where, a.flags, a.mode & 07777);
    if (f->host_fd < 0) {
      r.set_result(i, f->host_fd);
      f->host_fd = -1;
      continue;
    }
    struct stat st{};
    if (::fstat(f->host_fd, &st) == 0) f->seekable = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
    r.set_result(i, table_.insert(std::move(f)));  // the descriptor, or -EMFILE (the file closes)
  }
}

void file_service::handle_close(request& r) {
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const int fd = r.arg<fd_args>(i).fd;
    if (fd >= 0 && fd < fd_table::first_fd) {  // the runtime's own streams stay open
      r.set_result(i, 0);
      continue;
    }
    auto f = table_.remove(fd);
    if (!f) {
      r.set_result(i, -EBADF);
      continue;
    }
    r.set_result(i, 0);  // the host descriptor closes when no request uses it any more
  }
}

// ---- read, write ----

std::int64_t file_service::write_bytes(open_file& f, const unsigned char* p, std::size_t n, bool positioned,
                                       std::int64_t at) {
  if (!sandbox_.charge_write(n)) return -EDQUOT;
  std::size_t done = 0;
  while (done < n) {
    ssize_t w;
    if (positioned) w = ::pwrite(f.host_fd, p + done, n - done, at + static_cast<std::int64_t>(done));
    else if (f.seekable && !(f.flags & O_APPEND))
      w = ::pwrite(f.host_fd, p + done, n - done, f.offset + static_cast<std::int64_t>(done));
    else w = ::write(f.host_fd, p + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      if (done) break;
      return -errno;
    }
    done += static_cast<std::size_t>(w);
  }
  f.writes.fetch_add(1, std::memory_order_release);
  if (!positioned && f.seekable) {
    if (f.flags & O_APPEND) f.offset = ::lseek(f.host_fd, 0, SEEK_CUR);
    else f.offset += static_cast<std::int64_t>(done);
  }
  return static_cast<std::int64_t>(done);
}

// Makes the read-ahead hold the bytes at the offset: at least `want` of
// them, or all there are up to the end of the file. Returns 0 or errno.
int file_service::fill_ahead(open_file& f, std::size_t want) {
  const std::int64_t end = f.ahead_at + static_cast<std::int64_t>(f.ahead.size());
  const bool at_eof = f.ahead.size() < read_ahead_bytes;  // the last fill reached the end
  const std::uint64_t writes = f.writes.load(std::memory_order_acquire);
  if (f.ahead_at >= 0 && f.ahead_writes == writes && f.offset >= f.ahead_at && f.offset <= end &&
      (end - f.offset >= static_cast<std::int64_t>(want) || at_eof))
    return 0;
  f.ahead_writes = writes;
  f.ahead.resize(read_ahead_bytes);
  ssize_t got;
  do got = ::pread(f.host_fd, f.ahead.data(), f.ahead.size(), f.offset);
  while (got < 0 && errno == EINTR);
  if (got < 0) {
    f.ahead_at = -1;
    f.ahead.clear();
    return errno;
  }
  f.ahead.resize(static_cast<std::size_t>(got));
  f.ahead_at = f.offset;
  return 0;
}

std::int64_t file_service::inline_read(open_file& f, const io_args& a, unsigned char* out) {
  const std::size_t want = static_cast<std::size_t>(a.length);
  const bool line = a.flags & io_line;
  auto take = [&](const char* p, std::size_t avail) {
    std::size_t n = std::min(want, avail);
    if (line)
      if (const void* nl = std::memchr(p, '\n', n)) n = static_cast<std::size_t>(static_cast<const char*>(nl) - p) + 1;
    std::memcpy(out, p, n);
    return n;
  };
  if (a.flags & io_positioned) {  // no read-ahead: a positioned read leaves the offset alone
    char buf[inline_arg_bytes];
    const ssize_t got = ::pread(f.host_fd, buf, want, a.offset);
    if (got < 0) return -errno;
    return static_cast<std::int64_t>(take(buf, static_cast<std::size_t>(got)));
  }
  if (!f.seekable) {  // a pipe or a terminal: what one read gives
    char buf[inline_arg_bytes];
    ssize_t got;
    do got = ::read(f.host_fd, buf, line ? 1 : want);  // a line: byte by byte, never past its end
    while (got < 0 && errno == EINTR);
    if (got < 0) return -errno;
    return static_cast<std::int64_t>(take(buf, static_cast<std::size_t>(got)));
  }
  // Served from the read-ahead.
  if (const int e = fill_ahead(f, want)) return -e;
  const std::size_t from = static_cast<std::size_t>(f.offset - f.ahead_at);
  const std::size_t n = take(f.ahead.data() + from, f.ahead.size() - from);
  f.offset += static_cast<std::int64_t>(n);
  return static_cast<std::int64_t>(n);
}

std::int64_t file_service::bulk(open_file& f, const io_args& a) {
  if (!memory_.reachable(a.address, a.length)) return status_use_inline;
  bulk_mover::transfer t;
  t.host_fd = f.host_fd;
  t.write = a.direction == io_direction::write;
  if (t.write && !sandbox_.charge_write(a.length)) return -EDQUOT;
  t.address = a.address;
  t.length = a.length;
  if (a.flags & io_positioned) {
    t.offset = a.offset;
    const std::int64_t n = mover_.run(t);
    if (t.write) f.writes.fetch_add(1, std::memory_order_release);
    return n;
  }
  std::lock_guard lk(f.lock);
  t.positioned = f.seekable && !(t.write && (f.flags & O_APPEND));
  t.offset = f.offset;
  const std::int64_t n = mover_.run(t);
  if (t.write) f.writes.fetch_add(1, std::memory_order_release);
  if (n > 0 && f.seekable) f.offset = t.positioned ? f.offset + n : ::lseek(f.host_fd, 0, SEEK_CUR);
  return n;
}

std::int64_t file_service::io_lane(request& r, unsigned rank, const io_args& a, unsigned char* data) {
  if (a.fd >= 0 && a.fd < fd_table::first_fd) return -EBADF;  // the device sends these to the console
  auto f = table_.find(a.fd);
  if (!f) return -EBADF;
  const bool write = a.direction == io_direction::write;
  if (a.direction > io_direction::write || a.transfer > io_transfer::bulk) return -EINVAL;
  if (f->dir) return write ? -EBADF : -EISDIR;
  if (write ? !f->writable() : !f->readable()) return -EBADF;
  if ((a.flags & io_positioned) && a.offset < 0) return -EINVAL;
  if ((a.flags & io_positioned) && !f->seekable) return -ESPIPE;
  if (a.length > static_cast<std::uint64_t>(SSIZE_MAX)) return -EINVAL;
  if (a.transfer == io_transfer::bulk) return bulk(*f, a);
  // Inline transfers at the descriptor's offset are served by handle_io, a
  // group of lanes under one lock; only positioned ones come here.
  if (!(a.flags & io_positioned)) return -EPROTO;
  if (write) {
    const auto p = r.payload(rank);
    if (p.size() != a.length) return -EPROTO;
    return write_bytes(*f, reinterpret_cast<const unsigned char*>(p.data()), p.size(), true, a.offset);
  }
  if (a.length > inline_arg_bytes) return -EINVAL;
  return inline_read(*f, a, data);
}

// Lanes of one request that do the same thing to the same descriptor are
// served together: consecutive inline reads at its offset (many threads
// reading lines of one file) under one lock, and consecutive inline writes
// at its offset (records, log lines) as one vectored write, so they reach
// the file together and in lane order.
void file_service::handle_io(request& r) {
  for (unsigned i = 0; i < r.lanes();) {
    const auto a = r.arg<io_args>(i);
    const bool at_offset = a.transfer == io_transfer::inline_bytes && !(a.flags & io_positioned);
    unsigned j = i + 1;
    if (at_offset)
      while (j < r.lanes()) {
        const auto b = r.arg<io_args>(j);
        if (b.fd != a.fd || b.direction != a.direction || b.transfer != a.transfer || b.flags != a.flags) break;
        ++j;
      }
    auto f = at_offset && a.direction <= io_direction::write ? table_.find(a.fd) : nullptr;
    const bool write = a.direction == io_direction::write;
    if (f && !f->dir && (write ? f->writable() : f->readable())) {
      if (write) {
        write_group(r, i, j, *f);
      } else {
        std::lock_guard lk(f->lock);
        for (unsigned k = i; k < j; ++k) {
          const auto b = r.arg<io_args>(k);
          unsigned char data[inline_arg_bytes];
          const std::int64_t st = b.length > inline_arg_bytes ? -EINVAL : inline_read(*f, b, data);
          r.set_result(k, st, std::span<const std::byte>(reinterpret_cast<const std::byte*>(data),
                                                          st > 0 ? static_cast<std::size_t>(st) : 0));
        }
      }
      i = j;
      continue;
    }
    unsigned char data[inline_arg_bytes];
    const std::int64_t st = io_lane(r, i, a, data);
    const bool read_data = !write && a.transfer == io_transfer::inline_bytes && st > 0;
    r.set_result(i, st, std::span<const std::byte>(reinterpret_cast<const std::byte*>(data),
                                                   read_data ? static_cast<std::size_t>(st) : 0));
    ++i;
  }
}

// The lanes' bytes in one vectored write (repeated for what a short write
// leaves, IOV_MAX pieces at a time) at the descriptor's offset; each lane
// gets the part of its bytes that went out. (A group commit that joined the
// writes of concurrent requests measured no faster on ext4: appends to one
// file are bound by the file's lock, not by the number of calls.)
void file_service::write_group(request& r, unsigned first, unsigned last, open_file& f) {
  iovec iov[lanes_per_request];
  unsigned count = 0;
  for (unsigned k = first; k < last; ++k) {
    const auto p = r.payload(k);
    if (p.size() == r.arg<io_args>(k).length) iov[count++] = {const_cast<std::byte*>(p.data()), p.size()};
  }
  std::size_t total = 0;
  for (unsigned v = 0; v < count; ++v) total += iov[v].iov_len;
  std::size_t done = 0;
  int err = 0;
  if (!sandbox_.charge_write(total)) {
    err = EDQUOT;
    total = 0;  // nothing goes out
  }
  {
    std::lock_guard lk(f.lock);
    const bool at_offset = f.seekable && !(f.flags & O_APPEND);
    unsigned next = 0;
    while (done < total) {
      const ssize_t w = at_offset ? ::pwritev(f.host_fd, iov + next, static_cast<int>(count - next),
                                              f.offset + static_cast<std::int64_t>(done))
                                  : ::writev(f.host_fd, iov + next, static_cast<int>(count - next));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        err = w < 0 ? errno : EIO;
        break;
      }
      done += static_cast<std::size_t>(w);
      for (std::size_t left = static_cast<std::size_t>(w); left;) {  // skip what was written
        const std::size_t step = std::min(left, iov[next].iov_len);
        iov[next].iov_base = static_cast<char*>(iov[next].iov_base) + step;
        iov[next].iov_len -= step;
        left -= step;
        if (iov[next].iov_len == 0) ++next;
      }
      while (next < count && iov[next].iov_len == 0) ++next;
    }
    f.writes.fetch_add(1, std::memory_order_release);
    if (f.seekable)
      f.offset = at_offset ? f.offset + static_cast<std::int64_t>(done) : ::lseek(f.host_fd, 0, SEEK_CUR);
  }
  std::size_t before = 0;
  for (unsigned k = first; k < last; ++k) {
    const std::size_t n = r.payload(k).size();
    if (n != r.arg<io_args>(k).length) {  // malformed: not written
      r.set_result(k, -EPROTO);
      continue;
    }
    const std::size_t mine = done > before ? std::min(n, done - before) : 0;
    r.set_result(k, mine || !err || n == 0 ? static_cast<std::int64_t>(mine) : -err);
    before += n;
  }
}

std::int64_t file_service::write_text(int fd, std::string_view text) {
  auto f = table_.find(fd);
  if (!f) return -EBADF;
  if (!f->writable()) return -EBADF;
  std::lock_guard lk(f->lock);
  return write_bytes(*f, reinterpret_cast<const unsigned char*>(text.data()), text.size(), false, 0);
}

// ---- >> ----

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// istream >> T over `text`; returns the scan status bits and the bytes
// consumed (whitespace included). `at_end`: text runs to the end of the file.
template <class T>
std::int64_t scan_number(std::string_view text, bool at_end, unsigned char* out, std::size_t& consumed) {
  std::istringstream in{std::string(text)};
  T v{};
  in >> v;
  std::int64_t bits = 0;
  if (in.fail()) bits |= scan_fail;
  // At the end of the buffer: the end of the file only if the buffer ends there.
  if (in.eof() && at_end) bits |= scan_eof;
  in.clear();
  const auto pos = in.tellg();
  consumed = pos < 0 ? text.size() : static_cast<std::size_t>(pos);
  std::memcpy(out, &v, sizeof v);
  return bits;
}
}  // namespace

void file_service::handle_scan(request& r) {
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const auto a = r.arg<scan_args>(i);
    auto f = a.fd >= fd_table::first_fd ? table_.find(a.fd) : nullptr;
    if (!f || !f->readable()) {
      r.set_result(i, f && f->dir ? -EISDIR : -EBADF);
      continue;
    }
    if (!f->seekable) {  // the read-ahead must be able to give bytes back
      r.set_result(i, -ESPIPE);
      continue;
    }
    if (a.type > scan_type::word) {
      r.set_result(i, -EINVAL);
      continue;
    }
    std::lock_guard lk(f->lock);
    // Numbers longer than this are not numbers istream reads in one piece
    // either (it accepts at most a few hundred digits of a double).
    constexpr std::size_t window = 4096;
    if (const int e = fill_ahead(*f, window)) {
      r.set_result(i, -e);
      continue;
    }
    const std::size_t from = static_cast<std::size_t>(f->offset - f->ahead_at);
    std::string_view text(f->ahead.data() + from, f->ahead.size() - from);
    const bool at_end = f->ahead.size() < read_ahead_bytes;  // the read-ahead reached the end of the file
    if (a.type == scan_type::word) {
      std::size_t k = 0;
      if (!a.more)
        while (k < text.size() && is_space(text[k])) ++k;
      std::size_t n = 0;
      while (k + n < text.size() && n < inline_arg_bytes && !is_space(text[k + n])) ++n;
      f->offset += static_cast<std::int64_t>(k + n);
      r.set_result(i, static_cast<std::int64_t>(n), std::as_bytes(std::span(text.data() + k, n)));
      continue;
    }
    unsigned char value[8] = {};
    std::size_t used = 0;
    std::int64_t bits = 0;
    switch (a.type) {
      case scan_type::i16: bits = scan_number<short>(text, at_end, value, used); break;
      case scan_type::u16: bits = scan_number<unsigned short>(text, at_end, value, used); break;
      case scan_type::i32: bits = scan_number<int>(text, at_end, value, used); break;
      case scan_type::u32: bits = scan_number<unsigned>(text, at_end, value, used); break;
      case scan_type::i64: bits = scan_number<long long>(text, at_end, value, used); break;
      case scan_type::u64: bits = scan_number<unsigned long long>(text, at_end, value, used); break;
      case scan_type::f32: bits = scan_number<float>(text, at_end, value, used); break;
      case scan_type::f64: bits = scan_number<double>(text, at_end, value, used); break;
      default: break;
    }
    f->offset += static_cast<std::int64_t>(used);
    r.set_result(i, bits, std::as_bytes(std::span(value)));
  }
}

// ---- seek, stat ----

void file_service::handle_seek(request& r) {
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const auto a = r.arg<seek_args>(i);
    if (a.fd >= 0 && a.fd < fd_table::first_fd) {
      r.set_result(i, -ESPIPE);
      continue;
    }
    auto f = table_.find(a.fd);
    if (!f) {
      r.set_result(i, -EBADF);
      continue;
    }
    if (!f->seekable || f->dir) {
      r.set_result(i, f->dir ? -EINVAL : -ESPIPE);
      continue;
    }
    std::lock_guard lk(f->lock);
    std::int64_t base;
    if (a.whence == SEEK_SET) base = 0;
    else if (a.whence == SEEK_CUR) base = f->offset;
    else if (a.whence == SEEK_END) {
      struct stat st{};
      if (::fstat(f->host_fd, &st) != 0) {
        r.set_result(i, -errno);
        continue;
      }
      base = st.st_size;
    } else {
      r.set_result(i, -EINVAL);
      continue;
    }
    std::int64_t to;
    if (__builtin_add_overflow(base, a.offset, &to)) {
      r.set_result(i, -EOVERFLOW);
      continue;
    }
    if (to < 0) {
      r.set_result(i, -EINVAL);
      continue;
    }
    f->offset = to;
    r.set_result(i, to);
  }
}

void file_service::handle_stat(request& r) {
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const int fd = r.arg<fd_args>(i).fd;
    int host = standard_fd(fd);
    std::shared_ptr<open_file> f;
    if (host < 0) {
      f = table_.find(fd);
      if (!f) {
        r.set_result(i, -EBADF);
        continue;
      }
      host = f->dir ? ::dirfd(f->dir) : f->host_fd;
    }
    struct stat st{};
    if (::fstat(host, &st) != 0) {
      r.set_result(i, -errno);
      continue;
    }
    const wire_stat w = to_wire(st);
    r.set_result(i, 0, std::as_bytes(std::span(&w, 1)));
  }
}

void file_service::register_ops(handler_table& table) {
  auto reg = [&](opcode op, void (file_service::*fn)(request&)) {
    table.set(to_u16(op), [this, fn](request& r) { (this->*fn)(r); }, handler_kind::blocking);
  };
  reg(opcode::file_open, &file_service::handle_open);
  reg(opcode::file_close, &file_service::handle_close);
  reg(opcode::file_io, &file_service::handle_io);
  reg(opcode::file_seek, &file_service::handle_seek);
  reg(opcode::file_stat, &file_service::handle_stat);
  reg(opcode::path_op, &file_service::handle_path);
  reg(opcode::dir_read, &file_service::handle_dir_read);
  reg(opcode::file_scan, &file_service::handle_scan);
}

}  // namespace gpustd::detail
