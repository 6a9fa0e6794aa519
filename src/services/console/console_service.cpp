#include "console_service.h"

#include <cerrno>
#include <chrono>

#include "gpustd/protocol/opcodes.h"
#include "../../runtime/thread_signals.h"

namespace gpustd::detail {

using protocol::console_args;
using protocol::record_kind;

namespace {
// A record in pieces may grow to this; the rest is cut, with a marker.
constexpr std::size_t record_limit = 256u << 20;
}  // namespace

console_service::console_service(const runtime_options& options, runtime_log& log)
    : log_(log), out_(options.stdout_fd, wake_flusher, this), err_(options.stderr_fd, wake_flusher, this) {
  sinks_[1] = &out_;
  sinks_[2] = &err_;
  flusher_ = std::thread([this] { flusher_loop(); });
}

console_service::~console_service() {
  {
    std::lock_guard lk(flusher_lock_);
    stopping_ = true;
  }
  flusher_cv_.notify_one();
  flusher_.join();
  flush_all();
}

namespace {
// After a write the flusher keeps looking, without sleeping, this long: while
// output flows, the server threads that append never have to wake it (a
// system call and a context switch each, which capped the console at full
// GPU). A timed wait here instead made 10 lines from one thread take about
// 1 ms on the GPU machine, against 0.1 ms when woken per request.
constexpr auto flusher_linger = std::chrono::microseconds(50);
// When output is heavy (the last write was at least gather_above bytes), the
// flusher lets text gather this long before it takes the buffer, so that it
// writes in chunks: taking it at once cost a 32-lane console request 1.5x
// as much on the host (BM_ConsoleRequest: the appender meets the flusher on
// the buffer's lock, and there are more writes). Light output is written at
// once.
constexpr auto flusher_gather = std::chrono::microseconds(50);
constexpr std::size_t gather_above = 4096;
}  // namespace

void console_service::wake_flusher(void* self) {
  auto* s = static_cast<console_service*>(self);
  if (!s->flusher_asleep_.load(std::memory_order_seq_cst)) return;  // it is writing, or about to look again
  {
    std::lock_guard lk(s->flusher_lock_);
    s->flusher_wanted_ = true;
  }
  s->flusher_cv_.notify_one();
}

void console_service::flusher_loop() {
  block_sigpipe_in_this_thread();  // (a closed pipe gives its writes EPIPE, never kills the process)
  std::unique_lock lk(flusher_lock_);
  for (;;) {
    if (stopping_) return;
    lk.unlock();
    const std::size_t written = out_.flush() + err_.flush();
    const bool wrote = written != 0;
    if (wrote) {  // more is likely on its way: look again, unasked
      using clock = std::chrono::steady_clock;
      auto until = clock::now() + flusher_linger;
      bool seen = false;
      for (;;) {
        if (!seen && (out_.maybe_pending() || err_.maybe_pending())) {
          if (written < gather_above) break;
          seen = true;
          until = clock::now() + flusher_gather;
        }
        if (clock::now() >= until) break;
        std::this_thread::yield();  // (where cores are few, the threads that append need this one)
      }
    }
    lk.lock();
    if (wrote) continue;
    flusher_asleep_.store(true, std::memory_order_seq_cst);
    if (out_.pending() || err_.pending()) {  // appended before the store above was seen
      flusher_asleep_.store(false, std::memory_order_relaxed);
      continue;
    }
    flusher_cv_.wait(lk, [this] { return flusher_wanted_ || stopping_; });
    flusher_wanted_ = false;
    flusher_asleep_.store(false, std::memory_order_relaxed);
  }
}

void console_service::flush_all() {
  {
    std::lock_guard lk(held_lock_);
    for (auto& [key, h] : held_) {
      if (h.has_record && h.first.fd >= 1 && h.first.fd <= 2)
        sinks_[h.first.fd]->append("[gpustd: a console record was cut short: its thread ended]\n");
      for (int fd = 1; fd <= 2; ++fd)
        if (!h.line[fd].empty()) sinks_[fd]->append(h.line[fd]);
    }
    held_.clear();
    held_count_.store(0, std::memory_order_relaxed);
  }
  out_.flush();
  err_.flush();
}

namespace {
// A lane's text: its record formatted, then what the last piece's flags add.
void format_lane(std::string& out, const console_args& first, std::uint8_t last_flags, std::string_view record,
                 std::vector<record_item>& items) {
  format_record(out, static_cast<record_kind>(first.kind), record, first.format_bytes, items);
  if (last_flags & protocol::record_cut) out += "[gpustd: output cut here: the device heap was full]";
  if (last_flags & protocol::record_newline) out += '\n';
}
}  // namespace

// A record for a device file (gpustd::fprintf on a FILE*, << on an
// ofstream): formatted and handed to the file service, whole.
void console_service::to_file(request& r, unsigned rank, const console_args& first, std::uint8_t last_flags,
                              std::string_view record, batch& b) {
  std::string& s = b.scratch;
  s.clear();
  format_lane(s, first, last_flags, record, b.items);
  r.set_result(rank, file_text_ ? file_text_(file_fd_of(first), s) : -EBADF);
}

void console_service::lane(request& r, unsigned rank, const console_args& a, std::string_view payload, batch& b) {
  if (a.kind > static_cast<std::uint8_t>(record_kind::text)) {
    r.set_result(rank, -EINVAL);
    return;
  }
  const device_thread key = device_thread::of(r, rank);
  const bool more = a.flags & protocol::record_more;
  bool held = more;
  if (!held && held_count_.load(std::memory_order_relaxed) != 0) {
    std::lock_guard lk(held_lock_);
    held = held_.count(key) != 0;
  }

  if (file_fd_of(a) >= 3 && !held) {  // a device file: formatted and written now, whole
    to_file(r, rank, a, a.flags, payload, b);
    return;
  }
  if (!held) {  // the common case: a whole record, nothing held for its thread
    if (a.fd != 1 && a.fd != 2) {
      r.set_result(rank, -EBADF);
      return;
    }
    std::string& t = b.text[a.fd];
    const std::size_t mark = t.size();
    format_lane(t, a, a.flags, payload, b.items);
    const std::int64_t n = static_cast<std::int64_t>(t.size() - mark);
    if (a.kind == static_cast<std::uint8_t>(record_kind::stream) && !(a.flags & protocol::record_flush)) {
      const std::size_t nl = t.rfind('\n');
      const std::size_t keep_from = nl == std::string::npos || nl < mark ? mark : nl + 1;
      if (keep_from < t.size()) {  // an unfinished line: held until it ends
        std::lock_guard lk(held_lock_);
        auto [it, fresh] = held_.try_emplace(key);
        if (fresh) held_count_.fetch_add(1, std::memory_order_relaxed);
        it->second.line[a.fd].append(t, keep_from);
        t.resize(keep_from);
      }
    }
    r.set_result(rank, n);
    return;
  }

  std::lock_guard lk(held_lock_);
  auto [it, fresh] = held_.try_emplace(key);
  if (fresh) held_count_.fetch_add(1, std::memory_order_relaxed);
  held_text& h = it->second;
  if (more) {
    if (!h.has_record) {
      h.first = a;
      h.has_record = true;
      h.record.clear();
    }
    if (h.record.size() + payload.size() <= record_limit) h.record.append(payload);
    r.set_result(rank, 0);
    return;
  }
  console_args first = a;
  std::string_view record = payload;
  if (h.has_record) {
    if (h.record.size() + payload.size() <= record_limit) h.record.append(payload);
    first = h.first;
    record = h.record;
  }
  const int fd = first.fd;
  if (file_fd_of(first) >= 3) {
    to_file(r, rank, first, a.flags, record, b);
  } else if (fd != 1 && fd != 2) {
    r.set_result(rank, -EBADF);
  } else {
    std::string& s = b.scratch;
    s.clear();
    format_lane(s, first, a.flags, record, b.items);
    if (h.has_record && h.record.size() >= record_limit) s += "[gpustd: console record over 256 MiB cut]\n";
    r.set_result(rank, static_cast<std::int64_t>(s.size()));
    std::string& line = h.line[fd];
    if (first.kind == static_cast<std::uint8_t>(record_kind::stream)) {
      line += s;
      const std::size_t nl = line.rfind('\n');
      const std::size_t upto = (a.flags & protocol::record_flush) ? line.size() : nl == std::string::npos ? 0 : nl + 1;
      b.text[fd].append(line, 0, upto);
      line.erase(0, upto);
    } else {  // the thread's unfinished line comes first
      b.text[fd] += line;
      b.text[fd] += s;
      line.clear();
    }
  }
  h.has_record = false;
  h.record.clear();
  if (h.empty()) {
    held_.erase(it);
    held_count_.fetch_sub(1, std::memory_order_relaxed);
  }
}

namespace {
// Appends a request's text per stream and turns a failed stream into the
// lanes' error.
// `written`: the text must have reached the descriptor (or failed) before
// the lanes are answered, as a write() system call's would have.
template <class Sinks>
void finish_batch(request& r, Sinks& sinks, std::string* text, const std::uint8_t* lane_fd, bool written = false) {
  int err[3] = {0, 0, 0};
  for (int fd = 1; fd <= 2; ++fd) {
    const bool some = !text[fd].empty();
    if (some) err[fd] = written ? sinks[fd]->append_and_write(text[fd]) : sinks[fd]->append(text[fd]);
    if (!some) err[fd] = sinks[fd]->error();
    text[fd].clear();
  }
  for (unsigned i = 0; i < r.lanes(); ++i)
    if ((lane_fd[i] == 1 || lane_fd[i] == 2) && err[lane_fd[i]] && r.status(i) >= 0) r.set_result(i, -err[lane_fd[i]]);
}
}  // namespace

void console_service::handle_console(request& r) {
  thread_local batch b;
  std::uint8_t lane_fd[protocol::lanes_per_request];
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const auto a = r.arg<console_args>(i);
    const auto p = r.payload(i);
    lane_fd[i] = (a.flags & protocol::record_more) ? 0 : a.fd;
    lane(r, i, a, std::string_view(reinterpret_cast<const char*>(p.data()), p.size()), b);
  }
  finish_batch(r, sinks_, b.text, lane_fd);
}

void console_service::handle_write(request& r) {
  thread_local batch b;
  std::uint8_t lane_fd[protocol::lanes_per_request];
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const std::int32_t fd = r.arg<std::int32_t>(i);
    const auto p = r.payload(i);
    lane_fd[i] = fd == 1 || fd == 2 ? static_cast<std::uint8_t>(fd) : 0;
    if (!lane_fd[i]) {
      r.set_result(i, -EBADF);
      continue;
    }
    const console_args a{static_cast<std::uint8_t>(fd), static_cast<std::uint8_t>(record_kind::text), 0, 0, 0};
    lane(r, i, a, std::string_view(reinterpret_cast<const char*>(p.data()), p.size()), b);
  }
  finish_batch(r, sinks_, b.text, lane_fd, true);
}

void console_service::register_ops(handler_table& table) {
  table.set(protocol::to_u16(protocol::opcode::console), [this](request& r) { handle_console(r); },
            handler_kind::polling);
  table.set(protocol::to_u16(protocol::opcode::write), [this](request& r) { handle_write(r); }, handler_kind::polling);
}

}  // namespace gpustd::detail
