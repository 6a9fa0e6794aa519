#include "stdin_service.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "gpustd/protocol/console.h"
#include "gpustd/protocol/opcodes.h"

namespace gpustd::detail {

using protocol::stdin_end_of_file;
using protocol::stdin_end_of_line;

bool stdin_service::fill() {
  if (pos_ < buf_.size()) return true;
  if (eof_ || error_) return false;
  buf_.resize(64 * 1024);
  pos_ = 0;
  for (;;) {
    const ssize_t n = ::read(fd_, buf_.data(), buf_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = errno;
      buf_.clear();
      return false;
    }
    buf_.resize(static_cast<std::size_t>(n));
    if (n == 0) eof_ = true;
    return n > 0;
  }
}

std::int64_t stdin_service::serve(const device_thread& key, std::uint32_t max, bool line_mode, unsigned char* out) {
  max = std::min<std::uint32_t>(max, protocol::inline_arg_bytes);
  // The rest of a line this thread began comes first, in either mode.
  if (auto it = rests_.find(key); it != rests_.end()) {
    line_rest& r = it->second;
    const std::size_t n = std::min<std::size_t>(max, r.bytes.size() - r.pos);
    std::memcpy(out, r.bytes.data() + r.pos, n);
    r.pos += n;
    std::int64_t status = static_cast<std::int64_t>(n);
    if (r.pos == r.bytes.size()) {
      rests_.erase(it);
      status |= stdin_end_of_line;
    }
    return status;
  }
  if (max == 0) return 0;
  if (!line_mode) {
    if (!fill()) return error_ ? -error_ : stdin_end_of_file;
    const std::size_t n = std::min<std::size_t>(max, buf_.size() - pos_);
    std::memcpy(out, buf_.data() + pos_, n);
    pos_ += n;
    return static_cast<std::int64_t>(n);
  }
  // Take the next whole line off the stream.
  std::string line;
  bool ended = false;
  while (!ended && fill()) {
    const char* start = buf_.data() + pos_;
    const std::size_t avail = buf_.size() - pos_;
    const void* nl = std::memchr(start, '\n', avail);
    const std::size_t take = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) + 1 : avail;
    line.append(start, take);
    pos_ += take;
    ended = nl != nullptr;
  }
  if (line.empty()) return error_ ? -error_ : stdin_end_of_file;
  const std::size_t n = std::min<std::size_t>(max, line.size());
  std::memcpy(out, line.data(), n);
  if (n == line.size()) return static_cast<std::int64_t>(n) | stdin_end_of_line;
  line_rest& r = rests_[key];
  r.bytes = std::move(line);
  r.pos = n;
  return static_cast<std::int64_t>(n);
}

void stdin_service::handle(request& r) {
  std::lock_guard lk(lock_);
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const auto a = r.arg<protocol::stdin_args>(i);
    if (a.mode > static_cast<std::uint8_t>(protocol::stdin_mode::bytes)) {
      r.set_result(i, -EINVAL);
      continue;
    }
    unsigned char data[protocol::inline_arg_bytes];
    const device_thread key = device_thread::of(r, i);
    const std::int64_t st =
        serve(key, a.max_bytes, a.mode == static_cast<std::uint8_t>(protocol::stdin_mode::line), data);
    const std::size_t n = st > 0 ? static_cast<std::size_t>(st & protocol::stdin_count_mask) : 0;
    r.set_result(i, st, std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), n));
  }
}

void stdin_service::register_ops(handler_table& table) {
  table.set(protocol::to_u16(protocol::opcode::stdin_read), [this](request& r) { handle(r); },
            handler_kind::blocking);
}

}  // namespace gpustd::detail
