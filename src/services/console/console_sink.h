// One output stream of the console (the device's stdout or stderr): text
// appended by the handlers goes to a buffer that a flusher thread writes to
// the descriptor, so that a request costs a copy, not a system call.
//
// Each append() is one call's text and reaches the descriptor in one piece.
// Appends that follow one another in time are written in that order (so a
// line a thread printed before it signalled another thread comes first).
// Back-pressure: past high_water bytes the appending thread writes the
// buffer itself, which holds up its server thread and so, in the end, the
// device's writers: nothing is dropped. A terminal gets each append at once.
//
// A raw write (gpustd::write to 1 or 2) must return only once its bytes are
// written: append_and_write() appends, then either writes the buffer itself
// or, while another thread is writing, waits for that thread or the next to
// write its text along with everyone else's (a group commit). Server threads
// that each took the write lock in turn to write their own request spent
// more time handing the lock over than writing: 15 M lines/s at full GPU
// into /dev/null on an H100, where a typed hostcall writing each request
// itself reached 100 M (bench/services_bench.cu).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace gpustd::detail {

class console_sink {
 public:
  static constexpr std::size_t high_water = 1u << 20;

  // `wake` is called when the buffer goes from empty to not empty (it may
  // decide the flusher needs no waking).
  console_sink(int fd, void (*wake)(void*), void* wake_arg);

  // Appends one call's text. Returns 0, or the errno of a write that failed
  // before (the stream is then broken and the text is not kept).
  // `wake`: false when the caller flushes right after (the flusher is then
  // left asleep).
  int append(std::string_view text, bool wake = true);
  // Appends one call's text and returns once it is written (0), or failed
  // (its errno); see above.
  int append_and_write(std::string_view text);
  // Writes out everything appended so far (returns when it is written or
  // failed); returns how many bytes there were to write.
  std::size_t flush();
  // Whether text waits in the buffer.
  bool pending();
  // The same, without the lock: may be a moment late (for polling).
  bool maybe_pending() const noexcept { return has_text_.load(std::memory_order_relaxed); }
  // The errno of the first failed write, or 0.
  int error() const noexcept { return error_.load(std::memory_order_acquire); }

 private:
  const int fd_;
  const bool immediate_;  // a terminal: write each append at once
  void (*wake_)(void*);
  void* wake_arg_;
  // Appends to the buffer (under buffer_lock_): whether it was empty, its
  // size, and the bytes ever appended, after.
  struct added {
    bool was_empty;
    std::size_t size;
    std::uint64_t appended;
  };
  added add(std::string_view text);
  // Writes what the buffer holds; write_lock_ held.
  std::size_t write_buffer();
  // append_and_write's tries for the write lock, a pause between two,
  // before it sleeps on it. (BM_ConsoleRawWrites, 8 threads on the 2-core
  // development machine: 64 pauses 1.28-1.32 M requests/s, 16 pauses 1.18 M,
  // 64 pauses and 192 yields 1.02 M, the write lock taken in turn 1.17-1.23 M.
  // The GPU figures in docs/benchmarks.md were taken with 256 tries, 64
  // pauses and then yields.)
  static constexpr unsigned spins_before_sleep = 64;

  std::mutex buffer_lock_;  // guards buffer_ and appended_
  std::string buffer_;
  std::uint64_t appended_ = 0;  // bytes ever appended
  // Bytes ever taken from the buffer and written (or failed): stored with
  // release by the writer, under write_lock_; loaded with acquire by
  // append_and_write's waiters.
  std::atomic<std::uint64_t> written_{0};
  std::atomic<bool> has_text_{false};  // !buffer_.empty(), stored (relaxed) under buffer_lock_
  std::mutex write_lock_;  // one writer at a time, in order of the buffers taken
  std::string writing_;
  std::atomic<int> error_{0};  // release store by the writer; acquire load by appenders
};

}  // namespace gpustd::detail
