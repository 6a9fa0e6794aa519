#include "console_sink.h"

#include <unistd.h>

#include <cerrno>

#include "../../runtime/thread_signals.h"

namespace gpustd::detail {

console_sink::console_sink(int fd, void (*wake)(void*), void* wake_arg)
    : fd_(fd), immediate_(fd >= 0 && ::isatty(fd)), wake_(wake), wake_arg_(wake_arg) {}

console_sink::added console_sink::add(std::string_view text) {
  std::lock_guard lk(buffer_lock_);
  const bool was_empty = buffer_.empty();
  buffer_.append(text);
  appended_ += text.size();
  if (was_empty) has_text_.store(true, std::memory_order_relaxed);
  return {was_empty, buffer_.size(), appended_};
}

int console_sink::append(std::string_view text, bool wake) {
  if (const int e = error()) return e;
  if (text.empty()) return 0;
  const added a = add(text);
  if (immediate_ || a.size >= high_water) flush();
  else if (a.was_empty && wake) wake_(wake_arg_);
  return 0;
}

bool console_sink::pending() {
  std::lock_guard lk(buffer_lock_);
  return !buffer_.empty();
}

int console_sink::append_and_write(std::string_view text) {
  if (const int e = error()) return e;
  if (text.empty()) return 0;
  const std::uint64_t mine = add(text).appended;  // the stream's length once this text is in it
  for (unsigned spins = 0;; ++spins) {
    // Acquire: the write that covered our text happened before (its error too).
    if (written_.load(std::memory_order_acquire) >= mine) return error();
    // After a while, sleep on the lock: a writer held up by a full pipe must
    // not keep every server thread spinning.
    const bool writer = spins < spins_before_sleep ? write_lock_.try_lock() : (write_lock_.lock(), true);
    if (writer) {
      std::lock_guard wl(write_lock_, std::adopt_lock);
      if (written_.load(std::memory_order_relaxed) < mine) write_buffer();
      continue;
    }
    // Another thread is writing: ours goes with its buffer or the next one.
    __builtin_ia32_pause();
  }
}

std::size_t console_sink::flush() {
  std::lock_guard wl(write_lock_);
  return write_buffer();
}

std::size_t console_sink::write_buffer() {
  std::uint64_t taken;
  {
    std::lock_guard lk(buffer_lock_);
    buffer_.swap(writing_);
    has_text_.store(false, std::memory_order_relaxed);
    taken = appended_;
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
  // Release: the bytes (or the error) before a waiter sees them counted.
  written_.store(taken, std::memory_order_release);
  writing_.clear();
  if (writing_.capacity() > 4 * high_water) writing_.shrink_to_fit();
  return bytes;
}

}  // namespace gpustd::detail
