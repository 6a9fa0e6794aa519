#include "console_sink.h"

#include <unistd.h>

#include <cerrno>

#include "../../runtime/thread_signals.h"

namespace gpustd::detail {

console_sink::console_sink(int fd, void (*wake)(void*), void* wake_arg)
    : fd_(fd), immediate_(fd >= 0 && ::isatty(fd)), wake_(wake), wake_arg_(wake_arg) {}

int console_sink::append(std::string_view text, bool wake) {
  if (const int e = error()) return e;
  if (text.empty()) return 0;
  bool was_empty;
  std::size_t size;
  {
    std::lock_guard lk(buffer_lock_);
    was_empty = buffer_.empty();
    buffer_.append(text);
    if (was_empty) has_text_.store(true, std::memory_order_relaxed);
    size = buffer_.size();
  }
  if (immediate_ || size >= high_water) flush();
  else if (was_empty && wake) wake_(wake_arg_);
  return 0;
}

bool console_sink::pending() {
  std::lock_guard lk(buffer_lock_);
  return !buffer_.empty();
}

std::size_t console_sink::flush() {
  std::lock_guard wl(write_lock_);
  {
    std::lock_guard lk(buffer_lock_);
    buffer_.swap(writing_);
    has_text_.store(false, std::memory_order_relaxed);
  }
  if (writing_.empty()) return 0;  // (the flusher flushes both streams when either has text)
  sigpipe_blocked no_sigpipe;
  std::size_t done = 0;
  while (done < writing_.size() && !error()) {
    const ssize_t w = ::write(fd_, writing_.data() + done, writing_.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      if (e == EPIPE) no_sigpipe.write_failed_with_epipe();
      error_.store(e, std::memory_order_release);
      break;
    }
    done += static_cast<std::size_t>(w);
  }
  const std::size_t bytes = writing_.size();
  writing_.clear();
  if (writing_.capacity() > 4 * high_water) writing_.shrink_to_fit();
  return bytes;
}

}  // namespace gpustd::detail
